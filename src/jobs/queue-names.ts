// Queue names that the web process needs without the workers behind them: it observes every
// queue (/metrics, /releases), and importing a name from its worker's module loaded that
// worker's whole graph (the sweep's repository-config reading, yaml, smol-toml, the
// self-hosted config) into a process that runs none of it.

export const SWEEP_QUEUE = 'sweep';
export const SELF_HOSTED_QUEUE = 'self-hosted';
