/**
 * An S3-protocol server in the test JVM, {@link com.mintreplica.backup.testkit.s3.S3TestServer}, for the tests of
 * anything that stores in S3. It needs {@code org.gaul:s3proxy} on the test classpath (an optional dependency of the
 * test kit).
 */
package com.mintreplica.backup.testkit.s3;
