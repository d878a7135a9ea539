/**
 * What alerting keeps on disk, under DATA_DIR/alerts/, so that a restart
 * keeps it: the rules managed through the API (api-rules.json, in the API's
 * JSON form) and the silences (silences.json). Firing alerts are not kept:
 * the detector rebuilds its spikes after a restart, and they alert again.
 *
 * Each save replaces its file atomically (a temporary file, then a rename),
 * one save at a time, in the order asked.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { parseApiRulesFile, ruleToJson, type RuleConfig } from './rules.js';
import { SilenceError, type Silences } from './silences.js';

const API_RULES_FILE = 'api-rules.json';
const SILENCES_FILE = 'silences.json';

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

export class AlertStateFiles {
  private readonly dir: string;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.dir = join(dataDir, 'alerts');
  }

  /** The API rules kept (none before the first); AlertsConfigError naming the file's problems when it was edited wrong. */
  async apiRules(): Promise<RuleConfig[]> {
    const path = join(this.dir, API_RULES_FILE);
    const text = await readIfExists(path);
    return text === undefined ? [] : parseApiRulesFile(text, path);
  }

  /** Loads the kept silences into `silences`; SilenceError naming the file when it cannot be read. */
  async loadSilences(silences: Silences): Promise<void> {
    const path = join(this.dir, SILENCES_FILE);
    const text = await readIfExists(path);
    if (text === undefined) return;
    try {
      silences.load(JSON.parse(text));
    } catch (err) {
      throw new SilenceError(`${path}: ${(err as Error).message}: correct it, or delete it to start without the silences it held`, 'invalid_input');
    }
  }

  saveApiRules(rules: readonly RuleConfig[]): Promise<void> {
    return this.save(API_RULES_FILE, { rules: rules.map(ruleToJson) });
  }

  saveSilences(silences: Silences): Promise<void> {
    return this.save(SILENCES_FILE, silences.toJSON());
  }

  /** Resolves once every save asked for so far has ended. */
  settled(): Promise<void> {
    return this.saving;
  }

  /** Writes `<dataDir>/alerts/<name>` atomically, after the saves before it; a failure is logged and rejects this save only. */
  private save(name: string, data: unknown): Promise<void> {
    const write = async () => {
      await mkdir(this.dir, { recursive: true });
      const tmp = join(this.dir, `.${name}.tmp`);
      await writeFile(tmp, JSON.stringify(data, null, 2) + '\n');
      await rename(tmp, join(this.dir, name));
    };
    const done = this.saving.then(write);
    this.saving = done.catch((err: Error) => this.log.error({ err: err.message, file: name }, 'cannot save alerting state'));
    return done;
  }
}
