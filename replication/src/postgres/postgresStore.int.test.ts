import { startPostgresCluster } from '../testing/postgresNodes';
import { describePagedJoin } from '../testing/pagedJoinBehaviour';
import { describeReplicationBehaviour } from '../testing/replicationBehaviour';

describeReplicationBehaviour('PostgreSQL', startPostgresCluster);

describePagedJoin('PostgreSQL', startPostgresCluster);
