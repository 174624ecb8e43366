/**
 * HTTP helpers for tests: {@link com.mintreplica.backup.testkit.http.FaultProxy}, a proxy in front of an HTTP (S3)
 * test server that injects faults into chosen requests, so that an adapter's tests and the CLI's tests run through
 * the same faults.
 */
package com.mintreplica.backup.testkit.http;
