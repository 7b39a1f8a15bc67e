/**
 * Entry point: npx tsx apps/server/src/main.ts [--config file.json] [--port 8080] [--data-dir .data]
 * [--db file] [--admin-token T] [--new-run]
 */
import { parseCliArgs, USAGE } from './cli-args';
import { loadRunConfig, loadTuning, mergeServerConfigFile, ServerConfigError, summariseRunConfig } from './config';
import { probePort } from './port-probe';

// Only the argument parser is imported up front: the server's modules (TF.js, SQLite, socket.io,
// the tasks) take seconds to load, and --help, a bad flag or a busy port must answer at once.

async function main(): Promise<void> {
  const cli = parseCliArgs(process.argv.slice(2), process.env);
  if (cli.help) {
    console.log(USAGE);
    return;
  }
  const options = await mergeServerConfigFile(cli.given);
  const runConfig = await loadRunConfig(options.configFile);
  const tuning = await loadTuning(options.tuningFile);
  await probePort(options.host, options.port);
  console.log('loading the server…');
  const { startServer } = await import('./server');
  const server = await startServer({ options, runConfig, explicitConfig: options.configFile !== undefined, tuning, guardProcess: true });
  if (server.clusterId !== null) console.log(`cluster: process ${server.clusterId} on ${options.redis}; the owner of the run hosts it, the others pass requests on`);
  console.log(`dashboard (admin): ${server.url}/dashboard#token=${server.adminToken}`);
  console.log(`starling server listening on ${server.url} (data dir ${options.dataDir})`);
  // The owning process (now, or when it takes over) hosts the run: its settings, then its data.
  void server.owned().then(() => {
    if (!server.owner) return;
    console.log(summariseRunConfig(server.run.runId, server.run.config));
    console.log(`run database: ${server.dbFile}`);
    // Pack/load the task's data now, so the first peer does not wait for it.
    const task = server.run.task.id;
    server.data.warm().then(
      () => console.log(`data: ready (task ${task})`),
      (e: unknown) => console.error(`data of task ${task}: not available, data requests will fail: ${(e as Error).message}`),
    );
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1); // a second Ctrl-C forces it
    stopping = true;
    console.log(`${signal}: shutting down`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  // By name: importing TaskError's module would load the tasks (and TF.js) on every error path.
  if (e instanceof ServerConfigError || (e instanceof Error && e.name === 'TaskError')) console.error(`error: ${e.message}`);
  else console.error(e);
  process.exit(2);
});
