/**
 * The engine behind the public API: chunking, packs, indexes, manifests, the backup, restore and verify runs. Not API:
 * anything here may change in any release. Adapters never import it; what they need belongs in an SPI.
 */
package com.mintreplica.backup.core.internal;
