/** Reading the small JSON documents repository objects are made of, for the core and for adapters. */
package com.mintreplica.backup.core.json;
