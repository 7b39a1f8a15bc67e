/** @starling/transport: how frames leave a peer (transport contract, shaped uplink, send scheduler). */
export type { Transport, TransportEvents } from './transport';
export { TokenBucket } from './token-bucket';
export { REAL_CLOCK, type Clock } from './clock';
export { Uplink, type UplinkOptions } from './uplink';
export { ShapedUplink } from './shaped';
export { LossyTransport } from './lossy';
export { SendScheduler, type SlotSink } from './scheduler';
export { LINK_PROFILES, LINK_PROFILE_NAMES, capUplink, type LinkProfileName, type LinkShape } from './profiles';
