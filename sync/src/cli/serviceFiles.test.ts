import { localStatusAddress, serviceFiles } from './serviceFiles';

describe('serviceFiles', () => {
  it('keeps one PID and log file per node name under .msk by default', () => {
    expect(serviceFiles('/srv/app', undefined, 'server-1')).toEqual({
      stateDir: '/srv/app/.msk',
      pidFile: '/srv/app/.msk/sync-server-1.pid',
      logFile: '/srv/app/.msk/sync-server-1.log',
    });
    expect(serviceFiles('/srv/app', '/var/run/msk', 'server-1').pidFile).toBe('/var/run/msk/sync-server-1.pid');
  });
});

describe('localStatusAddress', () => {
  it('asks loopback when the service binds every interface, and the bind address otherwise', () => {
    expect(localStatusAddress({})).toBe('127.0.0.1:8765');
    expect(localStatusAddress({ SYNC_BIND_ADDRESS: '0.0.0.0', SYNC_SERVICE_PORT: '9000' })).toBe('127.0.0.1:9000');
    expect(localStatusAddress({ SYNC_BIND_ADDRESS: '127.0.0.3' })).toBe('127.0.0.3:8765');
    expect(localStatusAddress({ SYNC_BIND_ADDRESS: '::' })).toBe('[::1]:8765');
  });
});
