package com.mintreplica.backup.core.internal;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The providers of a service ({@code META-INF/services}) that load. A provider that fails to load (its class is
 * missing, a dependency of it is missing, its constructor throws) is passed over and named, so that one broken jar on
 * the class path never hides the providers after it: {@link ServiceLoader}'s iterator throws
 * {@link ServiceConfigurationError} (an Error) for it, which a plain for-each loop does not survive.
 */
public final class ServiceProviders {
    private static final Logger LOG = LoggerFactory.getLogger(ServiceProviders.class);
    /** ServiceLoader moves past a provider that failed; this only guards against an iterator that never does. */
    private static final int MAX_FAILURES = 100;

    private ServiceProviders() {
    }

    /**
     * What was found.
     *
     * @param providers the providers that loaded, in the class path's order
     * @param failures why each of the others did not load, for messages
     */
    public record Loaded<T>(List<T> providers, List<String> failures) {
        public Loaded {
            providers = List.copyOf(providers);
            failures = List.copyOf(failures);
        }

        /** {@code ""}, or a sentence naming the providers that failed to load, for a "not found" message. */
        public String failureNote() {
            return failures.isEmpty() ? "" : " Providers that failed to load: " + String.join("; ", failures) + ".";
        }
    }

    /** The providers of {@code type} that {@code loader} finds and can load. */
    public static <T> Loaded<T> load(Class<T> type, ClassLoader loader) {
        List<T> providers = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(type, loader).iterator();
        while (failures.size() < MAX_FAILURES) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                providers.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                String why = e.getMessage() + (e.getCause() != null ? " (" + e.getCause() + ")" : "");
                failures.add(why);
                LOG.warn("a {} on the class path does not load and is ignored: {}", type.getSimpleName(), why);
            }
        }
        return new Loaded<>(providers, failures);
    }
}
