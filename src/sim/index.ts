/**
 * The traffic simulator: a synthetic apparel catalog, labelled shopper
 * traffic with injectable surges, and a publisher that sends both to NATS
 * in the shape of the producer contract.
 */
export { generateCatalog, withVariants } from './catalog.js';
export { drawSurgeShape, SURGE_SHAPE_KINDS, type SurgeShape, type SurgeShapeKind } from './shapes.js';
export { unmetIdeas, type UnmetIdea } from './unmet.js';
export {
  createTraffic,
  DEFAULT_MIX,
  DEFAULT_REGIONS,
  type DiurnalOptions,
  type SalePayload,
  type SearchPayload,
  type SimEvent,
  type SpikePlan,
  type Traffic,
  type TrafficOptions,
  type UnmetPlan,
  type ViewPayload,
} from './traffic.js';
export {
  runSimulation,
  type RunSimulationOptions,
  type SimulationProgress,
  type SimulationSummary,
} from './publisher.js';
