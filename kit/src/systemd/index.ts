export * from './systemdUnits';
export * from './writeSystemdUnits';
