/**
 * Directory trees as a backup {@link com.mintreplica.backup.core.source.Source}
 * ({@link com.mintreplica.backup.fs.DirectorySource}) and their restore
 * ({@link com.mintreplica.backup.fs.DirectoryTarget}): regular files, directories (empty ones too), symbolic links
 * (as links), POSIX permissions, modification times and owners.
 */
package com.mintreplica.backup.fs;
