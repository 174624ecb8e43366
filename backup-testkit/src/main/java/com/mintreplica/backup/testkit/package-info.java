/**
 * For tests of apps and adapters: {@link com.mintreplica.backup.testkit.InMemorySink}, a
 * {@link com.mintreplica.backup.testkit.FakeClock}, and the conformance kits that every implementation of an SPI
 * passes by extending one abstract class:
 * {@link com.mintreplica.backup.testkit.SinkContract}, {@link com.mintreplica.backup.testkit.SourceContract},
 * {@link com.mintreplica.backup.testkit.TransformerContract} and
 * {@link com.mintreplica.backup.testkit.RetentionPolicyContract}.
 */
package com.mintreplica.backup.testkit;
