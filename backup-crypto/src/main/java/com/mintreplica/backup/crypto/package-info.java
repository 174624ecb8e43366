/**
 * Encryption at rest with OpenPGP keys (Bouncy Castle), GnuPG-compatible, with key rotation.
 *
 * <p>Not implemented yet: this module holds no classes until its issue (encryption at rest) lands.
 */
package com.mintreplica.backup.crypto;
