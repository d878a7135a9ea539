/**
 * The traffic simulator: a synthetic apparel catalog, labelled shopper
 * traffic with injectable surges, and a publisher that sends both to NATS
 * in the shape of the producer contract.
 */
export { generateCatalog } from './catalog.js';
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
  type ViewPayload,
} from './traffic.js';
export {
  runSimulation,
  type RunSimulationOptions,
  type SimulationProgress,
  type SimulationSummary,
} from './publisher.js';
