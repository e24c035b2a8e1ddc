export type { EmbeddedPostgresProps, StartedPostgres } from './embeddedPostgres';
export {
  APP_ROLE,
  SYNC_ROLE,
  DATABASE_ROLES_SQL,
  type DatabaseRolePasswords,
  databaseRolesInitdbScript,
  setUpDatabaseRoles,
} from './databaseRoles';
