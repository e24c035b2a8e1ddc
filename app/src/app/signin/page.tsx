import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/SignInForm';
import { currentUser } from '@/server/auth/session';

export const metadata: Metadata = { title: 'Sign in' };

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ callbackUrl?: string | string[] }>;
}) {
  const { callbackUrl } = await searchParams;
  if (await currentUser()) redirect('/businesses');
  return (
    <div className="signin panel">
      <h1>Sign in</h1>
      <SignInForm callbackUrl={typeof callbackUrl === 'string' ? callbackUrl : undefined} />
    </div>
  );
}
