import { startPostgresCluster } from '../testing/postgresNodes';
import { describeReplicationBehaviour } from '../testing/replicationBehaviour';

describeReplicationBehaviour('PostgreSQL', startPostgresCluster);
