package com.mintreplica.backup.core;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The version of mint-backup, as recorded in manifests. */
public final class Version {
    private static final String VERSION = load();

    private Version() {
    }

    /** For example {@code 0.1.0}. */
    public static String get() {
        return VERSION;
    }

    /** {@code mint-backup 0.1.0}. */
    public static String tool() {
        return "mint-backup " + VERSION;
    }

    private static String load() {
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                return "dev";
            }
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "dev");
            return v.startsWith("${") ? "dev" : v;
        } catch (IOException e) {
            return "dev";
        }
    }
}
