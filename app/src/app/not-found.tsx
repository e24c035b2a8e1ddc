export default function NotFound() {
  return (
    <div className="panel">
      <h1>Not found</h1>
      <p>
        There is nothing here. <a href="/businesses">Back to the businesses</a>
      </p>
    </div>
  );
}
