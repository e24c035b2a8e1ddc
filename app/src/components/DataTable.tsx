import type { ReactNode } from 'react';

/** A labelled table of records: one header cell per column ('' for an unnamed one), one row per record. */
export function DataTable<R extends { id: string }>({
  label,
  columns,
  records,
  cells,
}: {
  label: string;
  columns: readonly string[];
  records: readonly R[];
  /** The row's <td> cells. */
  cells: (record: R) => ReactNode;
}) {
  return (
    <table aria-label={label}>
      <thead>
        <tr>
          {columns.map((column, index) => (
            <th key={index}>{column}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {records.map((record) => (
          <tr key={record.id}>{cells(record)}</tr>
        ))}
      </tbody>
    </table>
  );
}
