-- Field Desk's schema. The replicated tables (desk_users, teams, technicians, work_orders) have UUID primary
-- keys made by the app (UUIDv7), so any node can create rows. audit_events is this node's own log: its bigserial
-- key would hand out the same numbers on every node, so it must never be listed in REPLICATED_TABLES.

CREATE TABLE IF NOT EXISTS desk_users (
  id            uuid PRIMARY KEY,
  email         text NOT NULL UNIQUE,
  display_name  text NOT NULL,
  password_hash text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS teams (
  id         uuid PRIMARY KEY,
  name       text NOT NULL,
  region     text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS technicians (
  id         uuid PRIMARY KEY,
  team_id    uuid NOT NULL REFERENCES teams (id),
  full_name  text NOT NULL,
  email      text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS technicians_team_id_idx ON technicians (team_id);

CREATE TABLE IF NOT EXISTS work_orders (
  id            uuid PRIMARY KEY,
  technician_id uuid REFERENCES technicians (id),
  title         text NOT NULL,
  site_address  text NOT NULL,
  priority      text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'urgent')),
  status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'assigned', 'done')),
  created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS work_orders_technician_id_idx ON work_orders (technician_id);

CREATE TABLE IF NOT EXISTS audit_events (
  id          bigserial PRIMARY KEY,
  happened_at timestamptz NOT NULL DEFAULT now(),
  actor_email text NOT NULL,
  action      text NOT NULL,
  subject_id  uuid
);
