'use client';

import { signIn } from 'next-auth/react';
import { useState, type FormEvent } from 'react';
import { emailAddress } from '../server/validation';
import { SubmitButton } from './FormFields';

/** Only paths on this site: a callbackUrl from the query string must not send the user elsewhere. */
function safeReturnPath(callbackUrl: string | undefined): string {
  return callbackUrl && callbackUrl.startsWith('/') && !callbackUrl.startsWith('//') ? callbackUrl : '/businesses';
}

export function SignInForm({ callbackUrl }: { callbackUrl?: string }) {
  const [error, setError] = useState<string | undefined>();
  const [pending, setPending] = useState(false);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    // The server refuses anything but an email address too (signInCredentials); say so here, before a round trip.
    const email = emailAddress.safeParse(String(form.get('email') ?? ''));
    if (!email.success) {
      setError(`Email ${email.error.issues[0]?.message ?? 'must be an email address'}.`);
      return;
    }
    setPending(true);
    setError(undefined);
    const result = await signIn('credentials', {
      redirect: false,
      email: email.data,
      password: String(form.get('password') ?? ''),
    });
    if (result?.ok && !result.error) {
      // A full page load, so every server component renders with the new session cookie.
      window.location.assign(safeReturnPath(callbackUrl));
      return;
    }
    setPending(false);
    setError(result?.error === 'CredentialsSignin' ? 'Wrong email or password.' : 'Sign-in failed; try again.');
  }

  return (
    // noValidate: the form checks the email itself (emailAddress, the rule the server applies) and says why.
    <form className="stack" onSubmit={submit} aria-label="Sign in" noValidate>
      <label>
        Email
        <input name="email" type="email" autoComplete="username" required autoFocus aria-describedby="sign-in-error" />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      {error && (
        <p className="form-error" role="alert" id="sign-in-error">
          {error}
        </p>
      )}
      <SubmitButton pending={pending} label="Sign in" pendingLabel="Signing in…" />
    </form>
  );
}
