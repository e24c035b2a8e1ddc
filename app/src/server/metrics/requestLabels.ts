/**
 * The labels of an HTTP request in the app's metrics, from a fixed, small set: a route group (never the raw path,
 * which carries ids and whatever a client typed), a method from the standard few and a status class. Pure.
 */

/** Every value the `route` label can take. */
export const ROUTE_GROUPS = [
  'home',
  'signin',
  'businesses',
  'users',
  'api-auth',
  'api-businesses',
  'api-employees',
  'api-users',
  'api-health',
  'api-ready',
  'api-other',
  'static',
  'next-internal',
  'other',
] as const;
export type RouteGroup = (typeof ROUTE_GROUPS)[number];

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'other'] as const;
export type MethodLabel = (typeof METHODS)[number];

export const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx', 'other'] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

/** `/businesses/123?x` → businesses: the first one or two segments decide, nothing of the rest is kept. */
const PREFIX_GROUPS: readonly (readonly [string, RouteGroup])[] = [
  ['/api/auth', 'api-auth'],
  ['/api/businesses', 'api-businesses'],
  ['/api/employees', 'api-employees'],
  ['/api/users', 'api-users'],
  ['/api/health', 'api-health'],
  ['/api/ready', 'api-ready'],
  ['/api', 'api-other'],
  ['/_next/static', 'static'],
  ['/_next/image', 'static'],
  ['/_next', 'next-internal'],
  ['/signin', 'signin'],
  ['/businesses', 'businesses'],
  ['/users', 'users'],
];
const STATIC_FILES = new Set(['/favicon.ico', '/icon.svg', '/robots.txt']);

function pathOf(url: string | undefined): string {
  const raw = url ?? '';
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}

export function routeGroup(url: string | undefined): RouteGroup {
  const path = pathOf(url);
  if (path === '/' || path === '') return 'home';
  if (STATIC_FILES.has(path)) return 'static';
  for (const [prefix, group] of PREFIX_GROUPS) {
    if (path === prefix || path.startsWith(`${prefix}/`)) return group;
  }
  return 'other';
}

export function methodLabel(method: string | undefined): MethodLabel {
  return (METHODS as readonly string[]).includes(method ?? '') && method !== 'other'
    ? (method as MethodLabel)
    : 'other';
}

export function statusClass(statusCode: number | undefined): StatusClass {
  if (statusCode === undefined || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) return 'other';
  return `${Math.floor(statusCode / 100)}xx` as StatusClass;
}
