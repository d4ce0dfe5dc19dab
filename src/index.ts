/**
 * Mailroom: supervised actors and hosts whose state and messages commit together.
 * The Postgres boundary is in `mailroom/pg`; test layers are in `mailroom/testing`.
 */

/** Supervised per-key actors: tell, ask, parked messages, stats. */
export * as Actor from "./runtime/Actor.js"
/** The actor system service: spawn actors, quiescence, graceful shutdown. */
export * as ActorSystem from "./runtime/ActorSystem.js"
/** Supervision policies: backoff, restart budget, poison threshold. */
export * as Supervisor from "./runtime/Supervisor.js"
/** Metrics the runtime records. */
export * as ActorMetrics from "./runtime/ActorMetrics.js"
/** The message envelope. */
export * as Envelope from "./runtime/Envelope.js"
/** What decide returns: state, events, commands as data. */
export * as Decision from "./commit/Decision.js"
/** Declaring a bounded context as a host. */
export * as HostDefinition from "./commit/HostDefinition.js"
/** A host's front door (send, sendWire, queries), wherever the host runs. */
export * as FrontDoor from "./commit/FrontDoor.js"
/** A running host. */
export * as Host from "./commit/Host.js"
/** W3C trace context carried in envelopes; spans are recorded when an exporting tracer is installed. */
export * as Tracing from "./commit/Tracing.js"
/** The commit boundary port and its errors. */
export * as CommitBoundary from "./commit/CommitBoundary.js"
/** The durable storage port of one bounded context (state, audit, inbox, outbox), and the deployment's storages. */
export * as ContextStorage from "./commit/ContextStorage.js"
/** The durable commit boundary over each context's own storage, with in-process handover. */
export * as DurableCommit from "./commit/DurableCommit.js"
/** The relay: forwarding between contexts' storages, delivery to hosts, parking, redrive, stats. */
export * as Relay from "./commit/Relay.js"
/** Where each message type goes, derived from the hosts' declarations. */
export * as Routing from "./commit/Routing.js"
/** The in-memory direct-commit boundary. */
export * as DirectCommit from "./commit/DirectCommit.js"
/** Routing between hosts and the observation feed. */
export * as Bus from "./commit/Bus.js"
/** Text every boundary can store: what a message or state must not hold (NUL, lone surrogates). */
export * as StorableText from "./commit/StorableText.js"
/** Messages scheduled for later: the scheduled messages not yet delivered, on either boundary. */
export * as Timers from "./commit/Timers.js"
/** The memory boundary's timers (on Effect's Clock). */
export * as MemoryTimers from "./commit/MemoryTimers.js"
/** Message ids. */
export * as MessageIds from "./commit/MessageIds.js"
/** Your hosts running in one layer: `layerMemory({ hosts })` (PostgreSQL: `MailroomPg` in `mailroom/pg`). */
export * as Mailroom from "./commit/Mailroom.js"
/** A set of running hosts: settle, stats. */
export * as Application from "./commit/Application.js"
/** Rebuilding state from an audit log. */
export * as Replay from "./commit/Replay.js"
/** The context map drawn from the hosts' declarations (text, Mermaid). */
export * as ContextMap from "./operate/ContextMap.js"
/** What an operator reads from a deployment: audit logs, boxes, parked messages, figures per host; redrive. */
export * as Journal from "./operate/Journal.js"
/** The operator's journal of a running in-memory application. */
export * as MemoryJournal from "./operate/MemoryJournal.js"
/** One flow's messages in causal order, with each delivery's fate. */
export * as FlowGraph from "./operate/FlowGraph.js"
/** Recent or stuck flows, summarised. */
export * as FlowList from "./operate/FlowList.js"
/** One message's whole causal history. */
export * as History from "./operate/History.js"
/** A flow as swimlanes for a terminal. */
export * as Lanes from "./operate/Lanes.js"
/** A flow as a Mermaid sequence diagram. */
export * as SequenceDiagram from "./operate/SequenceDiagram.js"
/** Versioned messages and stored states: upcasts that read what an older release wrote. */
export * as Versioned from "./commit/Versioned.js"
