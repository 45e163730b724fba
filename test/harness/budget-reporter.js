'use strict';
/**
 * A jest reporter that bounds a workspace's test run, used by every workspace's jest.config.js: no test
 * file may run longer than `fileTimeoutS`, the whole run no longer than `runTimeoutS`
 * (AMPSEAL_TEST_FILE_TIMEOUT_S / AMPSEAL_TEST_RUN_TIMEOUT_S override both). It is the backstop behind each
 * integration file's own budget (test/harness/resources.ts), for what that budget cannot stop: a test or
 * hook given a longer timeout than the file's bound, a hung global tear-down, a jest worker that hangs. (An
 * event loop blocked in-band stops this timer too: .ci/run's `timeout` is the last line.)
 *
 * On overrun it names the file(s) running, writes the JSON results so far (with the overrun counted as a
 * suite that failed to run, and the files under `ampsealOverran`) to the --outputFile, SIGKILLs the
 * children of this process and exits 1, so the run fails instead of hanging.
 */
const { ChildProcess } = require('node:child_process');
const { writeFileSync } = require('node:fs');
const { relative } = require('node:path');

function seconds(env, fallback) {
  const n = Number(process.env[env]);
  return Number.isFinite(n) && n > 0 ? n : fallback;
}

class BudgetReporter {
  constructor(globalConfig, options = {}) {
    this.globalConfig = globalConfig;
    this.fileTimeoutS = seconds('AMPSEAL_TEST_FILE_TIMEOUT_S', options.fileTimeoutS ?? 300);
    this.runTimeoutS = seconds('AMPSEAL_TEST_RUN_TIMEOUT_S', options.runTimeoutS ?? 1_800);
    this.running = new Map(); // path → { startedAt, timer }
    this.results = undefined;
    this.runTimer = undefined;
    this.root = globalConfig.rootDir;
  }

  name(path) {
    return relative(process.cwd(), path) || path;
  }

  onRunStart(results) {
    this.results = results;
    this.runTimer = setTimeout(() => this.overrun(`the run overran its bound of ${this.runTimeoutS} s`), this.runTimeoutS * 1_000);
    this.runTimer.unref();
  }

  onTestFileStart(test) {
    const timer = setTimeout(() => this.overrun(`${this.name(test.path)} overran the per-file bound of ${this.fileTimeoutS} s`), this.fileTimeoutS * 1_000);
    timer.unref();
    this.running.set(test.path, { startedAt: Date.now(), timer });
  }

  onTestFileResult(test, _result, aggregated) {
    this.results = aggregated;
    const entry = this.running.get(test.path);
    if (entry) clearTimeout(entry.timer);
    this.running.delete(test.path);
  }

  onRunComplete() {
    clearTimeout(this.runTimer);
    for (const { timer } of this.running.values()) clearTimeout(timer);
    this.running.clear();
  }

  overrun(why) {
    const now = Date.now();
    const files = [...this.running].map(([path, { startedAt }]) => `${this.name(path)} (running ${Math.round((now - startedAt) / 1_000)} s)`);
    process.stderr.write(`\n[budget] ${why}: stopping jest. Running: ${files.join(', ') || 'no file (set-up or tear-down)'}\n`);
    const { json, outputFile } = this.globalConfig;
    if (json && outputFile) {
      const r = this.results ?? { numPassedTests: 0, numFailedTests: 0, numRuntimeErrorTestSuites: 0, testResults: [] };
      const out = {
        ...r,
        success: false,
        numRuntimeErrorTestSuites: (r.numRuntimeErrorTestSuites ?? 0) + Math.max(1, this.running.size),
        ampsealOverran: [...this.running.keys()].map((p) => this.name(p)),
        ampsealOverrunReason: why,
      };
      try {
        writeFileSync(outputFile, JSON.stringify(out));
      } catch (err) {
        process.stderr.write(`[budget] could not write ${outputFile}: ${err.message}\n`);
      }
    }
    // Tests in band run in this process: their children (services, CLI runs) would outlive it.
    for (const h of process._getActiveHandles()) {
      if (h instanceof ChildProcess && h.exitCode === null && h.signalCode === null) h.kill('SIGKILL');
    }
    process.exit(1);
  }
}

module.exports = BudgetReporter;
