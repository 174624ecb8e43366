/**
 * The Transformer SPI: reversible stream codecs recorded in a repository's config (zstd and gzip here; OpenPGP in
 * backup-crypto). Conformance kit: {@code TransformerContract} in backup-testkit.
 */
package com.mintreplica.backup.core.transform;
