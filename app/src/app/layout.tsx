import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { NodeBadge } from '../components/NodeBadge';
import { SignOutButton } from '../components/SignOutButton';
import { currentUser } from '../server/auth/session';
import { appConfig } from '../server/config';
import './globals.css';

// Every page depends on the session and this node's identity: render on request, never at build time.
export const dynamic = 'force-dynamic';

export function generateMetadata(): Metadata {
  const { appName } = appConfig();
  return { title: { default: appName, template: `%s · ${appName}` } };
}

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <html lang="en">
      <body>
        <header className="site-header">
          <a className="brand" href="/businesses">
            {appConfig().appName}
          </a>
          <nav>
            {user && <a href="/businesses">Businesses</a>}
            {user?.role === 'admin' && <a href="/users">Users</a>}
          </nav>
          {user && (
            <>
              <span className="who" data-testid="signed-in-as">
                {user.email}
              </span>
              <SignOutButton />
            </>
          )}
        </header>
        <main>{children}</main>
        <NodeBadge />
      </body>
    </html>
  );
}
