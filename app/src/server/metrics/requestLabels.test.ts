import { METHODS, ROUTE_GROUPS, STATUS_CLASSES, methodLabel, routeGroup, statusClass } from './requestLabels';

describe('HTTP request labels of the app metrics', () => {
  it('groups pages and API routes by their first segments, never keeping ids or query strings', () => {
    expect(routeGroup('/')).toBe('home');
    expect(routeGroup('/?callbackUrl=%2Fusers')).toBe('home');
    expect(routeGroup('/signin?callbackUrl=/businesses')).toBe('signin');
    expect(routeGroup('/businesses/0193c0de-aaaa-7bbb-8ccc-123456789abc')).toBe('businesses');
    expect(routeGroup('/users')).toBe('users');
    expect(routeGroup('/api/auth/callback/credentials')).toBe('api-auth');
    expect(routeGroup('/api/businesses/1/employees')).toBe('api-businesses');
    expect(routeGroup('/api/employees/7')).toBe('api-employees');
    expect(routeGroup('/api/users/7')).toBe('api-users');
    expect(routeGroup('/api/health')).toBe('api-health');
    expect(routeGroup('/api/ready')).toBe('api-ready');
    expect(routeGroup('/api/anything-else')).toBe('api-other');
    expect(routeGroup('/_next/static/chunks/app.js')).toBe('static');
    expect(routeGroup('/_next/image?url=x')).toBe('static');
    expect(routeGroup('/_next/data/build/x.json')).toBe('next-internal');
    expect(routeGroup('/icon.svg')).toBe('static');
  });

  it('puts every unknown or hostile path in one "other" group', () => {
    for (const path of [
      '/wp-admin.php',
      '/businessesX',
      '/apix',
      '/api2/users',
      '//evil',
      '/%00',
      'x'.repeat(10_000),
      undefined,
    ]) {
      expect(routeGroup(path)).toBe(path === undefined ? 'home' : 'other');
    }
    const seen = new Set(['/a', '/b/c', '/../etc/passwd', '/users/../../x', '/\u0000', '/é'].map(routeGroup));
    for (const group of seen) expect(ROUTE_GROUPS).toContain(group);
  });

  it('keeps the standard methods and folds the rest into "other"', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('POST')).toBe('POST');
    for (const method of ['get', 'PROPFIND', 'other', '', undefined, 'X'.repeat(500)])
      expect(methodLabel(method)).toBe('other');
    expect(METHODS).toContain(methodLabel('BREW'));
  });

  it('reduces a status code to its class', () => {
    expect([101, 200, 204, 302, 404, 429, 500, 503].map(statusClass)).toEqual([
      '1xx',
      '2xx',
      '2xx',
      '3xx',
      '4xx',
      '4xx',
      '5xx',
      '5xx',
    ]);
    for (const code of [0, 99, 600, 1000, 200.5, Number.NaN, undefined]) expect(statusClass(code)).toBe('other');
    expect(STATUS_CLASSES).toContain(statusClass(-1));
  });
});
