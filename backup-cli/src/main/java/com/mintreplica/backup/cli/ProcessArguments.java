package com.mintreplica.backup.cli;

import com.mintreplica.backup.core.source.FileNames;
import java.net.URI;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The command line's exact bytes. The JVM hands {@code main} its arguments decoded with the file-name encoding: a
 * path whose name is not valid UTF-8 (a byte 0xff, a Latin-1 name from an old system) comes out with U+FFFD where
 * those bytes were, and names nothing (explorers' A-F7: "no such file or directory" for a path that exists). Linux
 * keeps the bytes in {@code /proc/self/cmdline}; the program's arguments are its last entries. restic takes such
 * paths as they are; backup now does too.
 */
final class ProcessArguments {
    private ProcessArguments() {
    }

    /** The last {@code count} entries of this process's command line, or null when they cannot be read. */
    static byte[][] read(int count) {
        try {
            byte[] all = Files.readAllBytes(Path.of("/proc/self/cmdline"));
            List<byte[]> entries = new ArrayList<>();
            int start = 0;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == 0) {
                    entries.add(Arrays.copyOfRange(all, start, i));
                    start = i + 1;
                }
            }
            if (entries.size() < count) {
                return null;
            }
            return entries.subList(entries.size() - count, entries.size()).toArray(new byte[0][]);
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * The arguments that are not valid UTF-8, as the JVM decoded them, to their bytes; empty when {@code raw} is null
     * or is not this command line (each entry must decode, with the JVM's file-name encoding, to its argument), and
     * without an argument that two different byte strings decoded to.
     */
    static Map<String, byte[]> notUtf8(String[] args, byte[][] raw) {
        if (raw == null || raw.length != args.length) {
            return Map.of();
        }
        Charset jnu;
        try {
            jnu = Charset.forName(System.getProperty("sun.jnu.encoding", "UTF-8"));
        } catch (RuntimeException e) {
            return Map.of();
        }
        Map<String, byte[]> out = new HashMap<>();
        List<String> ambiguous = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (!new String(raw[i], jnu).equals(args[i])) {
                return Map.of();   // not our arguments (an @argfile): use none
            }
            if (args[i].indexOf('\ufffd') < 0 || isUtf8(raw[i])) {
                continue;
            }
            byte[] before = out.putIfAbsent(args[i], raw[i]);
            if (before != null && !Arrays.equals(before, raw[i])) {
                ambiguous.add(args[i]);
            }
        }
        ambiguous.forEach(out::remove);
        return out;
    }

    static boolean isUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    /**
     * A {@code file:} URI of the path these bytes name (made absolute against the working directory), whose
     * {@code Path.of} has exactly these bytes.
     */
    static String fileUri(byte[] path) {
        StringBuilder uri = new StringBuilder("file://");
        if (path.length == 0 || path[0] != '/') {
            String cwd = com.mintreplica.backup.core.source.Sources.toUri(".").getRawPath();
            uri.append(cwd.endsWith("/") ? cwd : cwd + "/");
        }
        for (byte b : path) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "/-._~".indexOf(c) >= 0) {
                uri.append((char) c);
            } else {
                uri.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        // normalize() resolves "." and ".." but writes "file:/x" for "file:///x" when it changed anything
        return "file://" + URI.create(uri.toString()).normalize().getRawPath();
    }

    /** The bytes for a message, as file names are shown: valid UTF-8 as it is, every other byte as {@code \xNN}. */
    static String display(byte[] bytes) {
        return FileNames.display(FileNames.decode(bytes));
    }
}
