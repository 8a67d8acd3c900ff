// The dependency graph drawn by React Flow (@xyflow/react, bundled from npm; no CDN).
// Positions come from the server (a layered layout computed in Python); the user may drag nodes
// around, which stays in the browser until the graph changes. Connecting a node's right handle to
// another's left handle asks the server for an edge; a click on an edge or a node selects it.
import React, { useCallback, useEffect, useMemo } from "react";
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  useNodesState,
  useReactFlow,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";

// status -> Radix colour scale (the node shows the status as a word too)
const COLOURS = {
  queued: "gray",
  running: "blue",
  succeeded: "green",
  failed: "red",
  timed_out: "orange",
  cancelled: "amber",
  skipped: "gray",
};

function TargetNode({ data, selected }) {
  const scale = COLOURS[data.status] || "slate";
  // A node with a `detail` (lineage: its schema) shows that instead of a last run.
  const detail = data.detail || data.status_label;
  const spoken = data.detail || (data.status_label ? `last run ${data.status_label}` : "");
  return (
    <div
      aria-label={spoken ? `${data.label}: ${data.kind}, ${spoken}` : `${data.label}: ${data.kind}`}
      data-status={data.status || "never"}
      className="etf-graph-node"
      style={{
        width: 200,
        padding: "6px 10px",
        borderRadius: 6,
        border: `${selected ? 3 : 1}px solid var(--${scale}-${selected ? 11 : 8})`,
        background: `var(--${scale}-3)`,
        color: "var(--gray-12)",
        fontSize: 13,
        lineHeight: 1.3,
      }}
    >
      <Handle type="target" position={Position.Left} aria-label={`Upstream of ${data.label}`} />
      <div style={{ fontWeight: 600, overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" }}>
        {data.label}
      </div>
      <div style={{ color: `var(--${scale}-11)` }}>
        {detail ? `${data.kind} · ${detail}` : data.kind}
      </div>
      <Handle type="source" position={Position.Right} aria-label={`Downstream of ${data.label}`} />
    </div>
  );
}

const NODE_TYPES = { target: TargetNode };
// Fit the whole graph, but never so small that names cannot be read: pan to see the rest.
const FIT_VIEW = { minZoom: 0.5, maxZoom: 1.2 };
const EDGE_DEFAULTS = { markerEnd: { type: MarkerType.ArrowClosed, width: 18, height: 18 } };

// Inside <ReactFlow> (its store): fit the view again whenever the set of nodes or edges changes,
// since the server lays the graph out anew then.
function FitWhenChanged({ signature }) {
  const { fitView } = useReactFlow();
  useEffect(() => {
    const timer = setTimeout(() => fitView(FIT_VIEW), 50);
    return () => clearTimeout(timer);
  }, [signature, fitView]);
  return null;
}

const MINIMAP_FROM = 15; // nodes: smaller graphs fit on screen and need no overview

export function DependencyGraph({
  nodes,
  edges,
  colorMode,
  onConnectTargets,
  onSelectEdge,
  onSelectNode,
  onClearSelection,
}) {
  const [shown, setShown, onNodesChange] = useNodesState(nodes || []);
  useEffect(() => setShown(nodes || []), [nodes, setShown]);
  const connect = useCallback(
    (connection) => onConnectTargets && onConnectTargets(connection.source, connection.target),
    [onConnectTargets]
  );
  const edgeClick = useCallback((_event, edge) => onSelectEdge && onSelectEdge(edge.id), [onSelectEdge]);
  const nodeClick = useCallback((_event, node) => onSelectNode && onSelectNode(node.id), [onSelectNode]);
  const paneClick = useCallback(() => onClearSelection && onClearSelection(), [onClearSelection]);
  const styledEdges = useMemo(
    () =>
      (edges || []).map((edge) => ({
        ...edge,
        style: edge.selected ? { strokeWidth: 3, stroke: "var(--accent-11)" } : { strokeWidth: 1.5 },
      })),
    [edges]
  );
  const signature = useMemo(
    () => (nodes || []).map((n) => n.id).join(",") + "|" + (edges || []).map((e) => e.id).join(","),
    [nodes, edges]
  );
  return (
    <ReactFlow
      nodes={shown}
      edges={styledEdges}
      nodeTypes={NODE_TYPES}
      defaultEdgeOptions={EDGE_DEFAULTS}
      onNodesChange={onNodesChange}
      onConnect={connect}
      onEdgeClick={edgeClick}
      onNodeClick={nodeClick}
      onPaneClick={paneClick}
      deleteKeyCode={null}
      colorMode={colorMode || "light"}
      minZoom={0.1}
      maxZoom={2}
      fitView
      fitViewOptions={FIT_VIEW}
    >
      <Background />
      <Controls />
      {(nodes || []).length >= MINIMAP_FROM && <MiniMap pannable zoomable />}
      <FitWhenChanged signature={signature} />
    </ReactFlow>
  );
}
