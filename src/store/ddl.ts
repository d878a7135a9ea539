/**
 * DDL for trendmon's database on one ClickHouse server (or embedded chDB) or
 * across a cluster, from one description of each table.
 *
 * On a single server a table is created as described. With a cluster
 * (`CLICKHOUSE_CLUSTER`) every statement runs `ON CLUSTER`, and:
 * - a sharded table (one with `shardBy`) becomes `<name>_local`, a
 *   Replicated* table on every shard, behind a Distributed table `<name>`
 *   with the original name, so analysts' SQL and the app's inserts are the
 *   same in both set-ups;
 * - a table every node needs whole (the catalog, which the rollup views join
 *   on each shard) is one Replicated* table shared by all nodes;
 * - materialized views read the `_local` tables, so each shard rolls up the
 *   rows it stores.
 *
 * Identifiers go through `ident()`, string values through `literal()`; the
 * only other text is the schema's own, never a user's.
 */
import { ident } from './client.js';

/** Where the schema lives. */
export interface SchemaTarget {
  readonly database: string;
  /** A cluster from the server's `remote_servers`; undefined for one server or chDB. */
  readonly cluster?: string;
}

export type MergeTreeEngine = 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree';

export interface TableSpec {
  readonly name: string;
  /** Column definitions, every one with a COMMENT. */
  readonly columns: string;
  readonly engine: MergeTreeEngine;
  /** Engine arguments, e.g. the version column of a ReplacingMergeTree. */
  readonly engineArgs?: string;
  readonly partitionBy?: string;
  readonly orderBy: string;
  readonly comment: string;
  /**
   * On a cluster, the sharding key of the Distributed table: rows that must
   * meet (the copies of one event id, for FINAL) need the same key.
   * Undefined: a small table every node holds in full.
   */
  readonly shardBy?: string;
}

export interface ViewSpec {
  readonly name: string;
  /** Column definitions with comments, matching what `select` returns. */
  readonly columns: string;
  readonly select: string;
  readonly comment: string;
}

export interface MaterializedViewSpec extends ViewSpec {
  /** The sharded table the view writes to (its `_local` table on a cluster). */
  readonly to: string;
}

/** A ClickHouse string literal. */
export function literal(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

const LOCAL_SUFFIX = '_local';

export class Ddl {
  constructor(readonly target: SchemaTarget) {}

  /** The quoted database name. */
  get db(): string {
    return ident(this.target.database);
  }

  get clustered(): boolean {
    return this.target.cluster !== undefined;
  }

  /** The table the app and analysts use: on a cluster, the Distributed one. */
  table(name: string): string {
    return `${this.db}.${ident(name)}`;
  }

  /** Where a sharded table's rows are stored on this server: `<name>_local` on a cluster. */
  local(name: string): string {
    return this.table(this.localName(name));
  }

  localName(name: string): string {
    return this.clustered ? name + LOCAL_SUFFIX : name;
  }

  createDatabase(): string {
    return `CREATE DATABASE IF NOT EXISTS ${this.db}${this.onCluster}`;
  }

  createTable(spec: TableSpec): string[] {
    const partition = spec.partitionBy ? `\n      PARTITION BY ${spec.partitionBy}` : '';
    const body = (name: string, engine: string) =>
      `CREATE TABLE IF NOT EXISTS ${name}${this.onCluster} (\n${spec.columns}\n      ) ENGINE = ${engine}${partition}\n      ORDER BY ${spec.orderBy}\n      COMMENT ${literal(spec.comment)}`;
    const args = spec.engineArgs ?? '';
    if (!this.clustered) return [body(this.table(spec.name), args ? `${spec.engine}(${args})` : spec.engine)];
    if (spec.shardBy === undefined) {
      // One replicated table shared by every node: the replica name must be unique cluster-wide.
      return [body(this.table(spec.name), this.replicated(spec.engine, "'/clickhouse/tables/all/{database}/{table}'", "'{shard}-{replica}'", args))];
    }
    const { cluster, database } = this.target;
    return [
      body(this.local(spec.name), this.replicated(spec.engine, "'/clickhouse/tables/{shard}/{database}/{table}'", "'{replica}'", args)),
      `CREATE TABLE IF NOT EXISTS ${this.table(spec.name)}${this.onCluster} AS ${this.local(spec.name)}\n      ` +
        `ENGINE = Distributed(${literal(cluster!)}, ${literal(database)}, ${literal(this.localName(spec.name))}, ${spec.shardBy})\n      ` +
        `COMMENT ${literal(spec.comment)}`,
    ];
  }

  dropView(name: string): string {
    return `DROP VIEW IF EXISTS ${this.table(name)}${this.onCluster}`;
  }

  createView(spec: ViewSpec): string {
    return `CREATE VIEW IF NOT EXISTS ${this.table(spec.name)}${this.onCluster} (\n${spec.columns}\n      ) AS ${spec.select}\n      COMMENT ${literal(spec.comment)}`;
  }

  createMaterializedView(spec: MaterializedViewSpec): string {
    return (
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${this.table(spec.name)}${this.onCluster} TO ${this.local(spec.to)} (\n${spec.columns}\n      )` +
      ` AS ${spec.select}\n      COMMENT ${literal(spec.comment)}`
    );
  }

  /** `ALTER TABLE` on where a table's rows are stored (every shard on a cluster). */
  alter(name: string, clause: string, sharded = true): string {
    return `ALTER TABLE ${sharded ? this.local(name) : this.table(name)}${this.onCluster} ${clause}`;
  }

  /** A lightweight delete where a table's rows are stored (every shard on a cluster). */
  deleteWhere(name: string, where: string): string {
    return `DELETE FROM ${this.local(name)}${this.onCluster} WHERE ${where}`;
  }

  truncate(name: string): string {
    return `TRUNCATE TABLE IF EXISTS ${this.local(name)}${this.onCluster}`;
  }

  private get onCluster(): string {
    return this.target.cluster === undefined ? '' : ` ON CLUSTER ${ident(this.target.cluster)}`;
  }

  private replicated(engine: MergeTreeEngine, path: string, replica: string, args: string): string {
    return `Replicated${engine}(${[path, replica, ...(args ? [args] : [])].join(', ')})`;
  }
}
