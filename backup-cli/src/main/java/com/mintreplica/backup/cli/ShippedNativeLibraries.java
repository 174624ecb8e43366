package com.mintreplica.backup.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The native libraries the packages ship unpacked beside the jar ({@code native/} next to {@code mint-backup.jar}: the
 * build tree's target/, the tarball's lib/, the .deb's /usr/share/mint-backup/lib/), for zstd-jni and JNA. Without
 * them each library unpacks its copy from the jar into a temporary file at every start and loads it from there: on a
 * host whose temporary directory is mounted {@code noexec} (a common hardening) zstd's load failed and every command
 * that reads or writes a repository ended in an UnsatisfiedLinkError. (Start-up measured the same either way.)
 *
 * <p>A library is used only when the jar holds the same file under the same name (the same version, from the same
 * build), and only when the JVM was not told where to find it already ({@code ZstdNativePath},
 * {@code jna.boot.library.path}).
 */
final class ShippedNativeLibraries {
    private ShippedNativeLibraries() {
    }

    /** Points zstd-jni and JNA at the shipped libraries when they are there; otherwise changes nothing. */
    static void use() {
        Path jar = jar();
        if (jar == null || !System.getProperty("os.name", "").equals("Linux")) {
            return;
        }
        Path dir = jar.resolveSibling("native");
        String arch = System.getProperty("os.arch", "");
        if (System.getProperty("ZstdNativePath") == null) {
            // zstd-jni's own layout: linux/<os.arch>/libzstd-jni-<version>.so
            Path zstd = shipped(dir, "linux/" + arch, "libzstd-jni-");
            if (zstd != null) {
                System.setProperty("ZstdNativePath", zstd.toString());
            }
        }
        if (System.getProperty("jna.boot.library.path") == null) {
            String jnaArch = switch (arch) {
                case "amd64", "x86_64" -> "linux-x86-64";
                case "aarch64" -> "linux-aarch64";
                default -> null;
            };
            Path jna = jnaArch == null ? null : shipped(dir, "com/sun/jna/" + jnaArch, "libjnidispatch");
            if (jna != null) {
                System.setProperty("jna.boot.library.path", jna.getParent().toString());
            }
        }
    }

    /** The jar this class was loaded from, or null (classes in a directory: tests, the IDE). */
    private static Path jar() {
        try {
            var source = ShippedNativeLibraries.class.getProtectionDomain().getCodeSource();
            Path path = source == null ? null : Path.of(source.getLocation().toURI());
            return path != null && path.toString().endsWith(".jar") && Files.isRegularFile(path) ? path : null;
        } catch (RuntimeException | java.net.URISyntaxException e) {
            return null;
        }
    }

    /** The library {@code dir/sub/prefix*.so} that the jar holds as {@code /sub/<same name>}, or null. */
    private static Path shipped(Path dir, String sub, String prefix) {
        Path folder = dir.resolve(sub);
        if (!Files.isDirectory(folder)) {
            return null;
        }
        // A loop, not a stream: this runs at every start, and the stream's lambdas and classes took 10-13 ms of it.
        try (var files = Files.newDirectoryStream(folder)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.startsWith(prefix) && name.endsWith(".so") && Files.isRegularFile(f)
                        && ShippedNativeLibraries.class.getResource("/" + sub + "/" + name) != null) {
                    return f;
                }
            }
            return null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
