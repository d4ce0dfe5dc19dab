/** Effect test layers for Mailroom hosts: a memory application, settle, faults, recorders, given/when/then. */

/** An application of your hosts on the memory boundary, with deterministic ids. */
export * as TestApp from "./TestApp.js"
/** Records what the application committed, published and failed. */
export * as Recorder from "./Recorder.js"
/** Given/when/then for a host's pure `decide`: `GivenWhenThen.for(definition).given(...).when(...).thenEmits(...)`. */
export * as GivenWhenThen from "./GivenWhenThen.js"
/** Seeded, reproducible simulation of your hosts through crashes, duplicate deliveries and reordering. */
export * as Simulation from "./Simulation.js"
/** Fault injection at the boundary's steps and in handlers; the components consult it only where it is installed. */
export * as Faults from "../commit/Faults.js"
/** One scenario suite run on several application layers, their outcomes compared. */
export * as Conformance from "./Conformance.js"
