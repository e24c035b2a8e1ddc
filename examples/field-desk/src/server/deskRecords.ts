/**
 * Field Desk's records: teams, technicians (each in a team, with a unique email) and work orders (optionally for a
 * technician). Every write also records an audit event, in the same transaction, in this node's own audit_events.
 */
import type { PoolClient } from 'pg';
import { inTransaction, pool } from './database';
import { newId } from './ids';
import type { NewTeam, NewTechnician, NewWorkOrder } from './deskInput';

export interface Team {
  id: string;
  name: string;
  region: string;
}
export interface Technician {
  id: string;
  teamId: string;
  fullName: string;
  email: string;
}
export interface WorkOrder {
  id: string;
  title: string;
  siteAddress: string;
  priority: string;
  status: string;
  technicianId: string | null;
  technicianName: string | null;
  createdAt: string;
}

/** Listing bound: the UI and the JSON API show the newest this many. */
export const LIST_LIMIT = 200;

async function audit(client: PoolClient, actorEmail: string, action: string, subjectId: string): Promise<void> {
  await client.query('INSERT INTO audit_events (actor_email, action, subject_id) VALUES ($1, $2, $3)', [
    actorEmail,
    action,
    subjectId,
  ]);
}

export async function listTeams(): Promise<Team[]> {
  const { rows } = await pool().query<Team>('SELECT id, name, region FROM teams ORDER BY id DESC LIMIT $1', [
    LIST_LIMIT,
  ]);
  return rows;
}

export async function createTeam(actorEmail: string, input: NewTeam): Promise<Team> {
  const team: Team = { id: newId(), ...input };
  await inTransaction(async (client) => {
    await client.query('INSERT INTO teams (id, name, region) VALUES ($1, $2, $3)', [team.id, team.name, team.region]);
    await audit(client, actorEmail, 'team.created', team.id);
  });
  return team;
}

export async function listTechnicians(): Promise<Technician[]> {
  const { rows } = await pool().query<Technician>(
    'SELECT id, team_id AS "teamId", full_name AS "fullName", email FROM technicians ORDER BY full_name, id LIMIT $1',
    [LIST_LIMIT],
  );
  return rows;
}

/** Throws PostgreSQL's own errors: 23505 for an email already taken, 23503 for a team that does not exist. */
export async function createTechnician(actorEmail: string, input: NewTechnician): Promise<Technician> {
  const technician: Technician = { id: newId(), ...input };
  await inTransaction(async (client) => {
    await client.query('INSERT INTO technicians (id, team_id, full_name, email) VALUES ($1, $2, $3, $4)', [
      technician.id,
      technician.teamId,
      technician.fullName,
      technician.email,
    ]);
    await audit(client, actorEmail, 'technician.created', technician.id);
  });
  return technician;
}

export async function listWorkOrders(): Promise<WorkOrder[]> {
  const { rows } = await pool().query<WorkOrder & { createdAt: Date }>(
    `SELECT w.id, w.title, w.site_address AS "siteAddress", w.priority, w.status, w.technician_id AS "technicianId",
            t.full_name AS "technicianName", w.created_at AS "createdAt"
     FROM work_orders w LEFT JOIN technicians t ON t.id = w.technician_id
     ORDER BY w.id DESC LIMIT $1`,
    [LIST_LIMIT],
  );
  return rows.map((row) => ({ ...row, createdAt: new Date(row.createdAt).toISOString() }));
}

/** Throws PostgreSQL's 23503 for a technician that does not exist. */
export async function createWorkOrder(actorEmail: string, input: NewWorkOrder): Promise<{ id: string }> {
  const id = newId();
  await inTransaction(async (client) => {
    await client.query(
      `INSERT INTO work_orders (id, technician_id, title, site_address, priority, status) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        id,
        input.technicianId ?? null,
        input.title,
        input.siteAddress,
        input.priority,
        input.technicianId ? 'assigned' : 'open',
      ],
    );
    await audit(client, actorEmail, 'work_order.created', id);
  });
  return { id };
}
