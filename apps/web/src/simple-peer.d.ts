// The prebuilt browser bundle of simple-peer carries its own Buffer/stream polyfills.
declare module 'simple-peer/simplepeer.min.js' {
  const SimplePeer: new (opts: unknown) => import('@starling/peer').RtcPeer;
  export default SimplePeer;
}
