/**
 * The configuration's durations in the unit the code counts in. The variables are in
 * seconds, as people set them (LEASE_SECONDS, ...); timers, leases and the run loop work in
 * milliseconds. loadConfig converts once, here, into `config.durationsMs` (config-durations
 * .test.ts fails on a `Seconds * 1000` anywhere else), so no main or wiring file does its
 * own arithmetic.
 * MAX_WAIT_SECONDS stays in seconds: waits are in seconds on the API too.
 */
export interface ConfigDurationsMs {
  readonly leaseMs: number;
  readonly shutdownGraceMs: number;
  /** Drain mode's idle exit (IDLE_EXIT_SECONDS). */
  readonly drainIdleMs: number;
  readonly orphanAgeMs: number;
  readonly orphanSweepIntervalMs: number;
  readonly scaleIdleMs: number;
  readonly scaleIntervalMs: number;
  /** A worker's heartbeat interval (HEARTBEAT_SECONDS). */
  readonly heartbeatMs: number;
}

const msPerSecond = 1_000;

/** The settings that are seconds (Config's fields of those names; no import: no cycle). */
export interface ConfigSeconds {
  readonly leaseSeconds: number;
  readonly shutdownGraceSeconds: number;
  readonly drainIdleSeconds: number;
  readonly orphanAgeSeconds: number;
  readonly orphanSweepIntervalSeconds: number;
  readonly scale: {
    readonly idleSeconds: number;
    readonly intervalSeconds: number;
    readonly heartbeatSeconds: number;
  };
}

/** Called once, by loadConfig: everything else reads `config.durationsMs`. */
export function configDurationsMs(seconds: ConfigSeconds): ConfigDurationsMs {
  return Object.freeze({
    leaseMs: seconds.leaseSeconds * msPerSecond,
    shutdownGraceMs: seconds.shutdownGraceSeconds * msPerSecond,
    drainIdleMs: seconds.drainIdleSeconds * msPerSecond,
    orphanAgeMs: seconds.orphanAgeSeconds * msPerSecond,
    orphanSweepIntervalMs: seconds.orphanSweepIntervalSeconds * msPerSecond,
    scaleIdleMs: seconds.scale.idleSeconds * msPerSecond,
    scaleIntervalMs: seconds.scale.intervalSeconds * msPerSecond,
    heartbeatMs: seconds.scale.heartbeatSeconds * msPerSecond,
  });
}
