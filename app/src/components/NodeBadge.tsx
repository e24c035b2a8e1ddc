import { nodeIdentity } from '../server/config';

/** Which node served this page: lets a person behind a load balancer watch requests move while the session stays. */
export function NodeBadge() {
  const node = nodeIdentity();
  return (
    <div className="node-badge" data-testid="node-badge" data-node-id={node.id} data-node-name={node.name}>
      served by <strong>{node.name}</strong> <span className="id">{node.id}</span>
    </div>
  );
}
