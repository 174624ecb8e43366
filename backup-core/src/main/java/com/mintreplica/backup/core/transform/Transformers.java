package com.mintreplica.backup.core.transform;

import com.mintreplica.backup.core.InvalidInputException;
import com.mintreplica.backup.core.UnsupportedException;
import com.mintreplica.backup.core.internal.ServiceProviders;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Factory methods for the built-in transformers, and the lookup of recorded ones by name. */
public final class Transformers {
    private Transformers() {
    }

    /** zstd at level 3: fast, and a good ratio on dumps and text. */
    public static Transformer zstd() {
        return new ZstdTransformer(ZstdTransformer.DEFAULT_LEVEL);
    }

    /** zstd at {@code level} (1 to 22; negative levels trade ratio for speed). */
    public static Transformer zstd(int level) {
        return new ZstdTransformer(level);
    }

    /** gzip at the default level, for tools that only read gzip. */
    public static Transformer gzip() {
        return new GzipTransformer(GzipTransformer.DEFAULT_LEVEL);
    }

    /** gzip at {@code level} (1 to 9). */
    public static Transformer gzip(int level) {
        return new GzipTransformer(level);
    }

    /**
     * A transformer from a textual spec, as the CLI and config take it: {@code zstd}, {@code zstd:19}, {@code gzip:6}.
     */
    public static Transformer parse(String spec) {
        String[] parts = spec.trim().toLowerCase(Locale.ROOT).split(":", 2);
        try {
            return switch (parts[0]) {
                case "zstd" -> parts.length == 1 ? zstd() : zstd(Integer.parseInt(parts[1]));
                case "gzip" -> parts.length == 1 ? gzip() : gzip(Integer.parseInt(parts[1]));
                default -> throw new InvalidInputException("unknown compression '" + spec + "': use zstd, zstd:LEVEL, gzip or gzip:LEVEL");
            };
        } catch (NumberFormatException e) {
            throw new InvalidInputException("the level in '" + spec + "' is not a number");
        }
    }

    /**
     * Rebuilds a recorded transformer through the {@link TransformerProvider}s on the class path.
     *
     * @throws UnsupportedException when no provider on the class path has that name
     */
    public static Transformer create(String name, Map<String, String> parameters) {
        return create(name, parameters, Transformers.class.getClassLoader());
    }

    /** {@link #create(String, Map)} with the providers {@code loader} finds (tests). */
    static Transformer create(String name, Map<String, String> parameters, ClassLoader loader) {
        TreeSet<String> available = new TreeSet<>();
        ServiceProviders.Loaded<TransformerProvider> loaded = ServiceProviders.load(TransformerProvider.class, loader);
        for (TransformerProvider provider : loaded.providers()) {
            if (provider.name().equals(name)) {
                return provider.create(parameters);
            }
            available.add(provider.name());
        }
        String hint = name.equals("openpgp") || name.equals("aes-gcm")
                ? " Add the module com.mintreplica.backup:backup-crypto to the class path." : "";
        throw new UnsupportedException("this repository uses the transformer '" + name + "', which is not available."
                + hint + " Available: " + available + "." + loaded.failureNote());
    }
}
