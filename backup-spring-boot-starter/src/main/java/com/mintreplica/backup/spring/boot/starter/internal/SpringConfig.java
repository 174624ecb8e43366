package com.mintreplica.backup.spring.boot.starter.internal;

import com.mintreplica.backup.jobs.config.ConfigException;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.config.JobsConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver;
import org.springframework.boot.origin.Origin;
import org.springframework.boot.origin.PropertySourceOrigin;
import org.springframework.boot.origin.TextResourceOrigin;
import org.springframework.core.env.ConfigurableEnvironment;

/**
 * Reads {@code mint.backup.*} from Spring's environment into a {@link JobsConfig} through
 * {@link JobsConfig#fromProperties}, so the YAML file's checks apply, and relocates every problem to the property
 * and the file, line and column it came from ({@code class path resource [application.yml]:14:7:
 * mint.backup.jobs.etc.schedule: ...}).
 *
 * <p>Precedence is Spring's: a property from a higher source (command line, environment, a profile's file) wins; a
 * list is taken whole from the highest source that has any item of it, as Spring binds lists.
 */
public final class SpringConfig {
    /** The prefix of the config in the environment. */
    public static final String PREFIX = "mint.backup";
    /** The starter's own settings below the prefix, which are not part of the jobs config. */
    public static final Set<String> OWN = Set.of("enabled", "scheduler", "config-file", "health", "cache-dir");

    private SpringConfig() {
    }

    /**
     * The jobs config of {@code environment}.
     *
     * @throws ConfigException naming each problem's property and where it was set
     */
    public static JobsConfig read(ConfigurableEnvironment environment) {
        ConfigurationPropertyName prefix = ConfigurationPropertyName.of(PREFIX);
        PropertySourcesPlaceholdersResolver placeholders = new PropertySourcesPlaceholdersResolver(environment);
        Map<String, Object> properties = new LinkedHashMap<>();
        Map<String, Origin> origins = new HashMap<>();
        Map<String, Integer> listOwners = new HashMap<>();
        int index = 0;
        for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
            index++;
            if (!(source instanceof IterableConfigurationPropertySource iterable)) {
                continue;
            }
            List<ConfigurationPropertyName> names = iterable.stream().filter(prefix::isAncestorOf).toList();
            for (ConfigurationPropertyName name : names) {
                if (OWN.contains(name.getElement(prefix.getNumberOfElements(), Form.DASHED))) {
                    continue;
                }
                String key = key(name, prefix.getNumberOfElements());
                if (properties.containsKey(key) || !ownsLists(name, prefix.getNumberOfElements(), index, listOwners)) {
                    continue;
                }
                ConfigurationProperty property = source.getConfigurationProperty(name);
                if (property == null) {
                    continue;
                }
                Object value = property.getValue();
                properties.put(key, value instanceof String s ? placeholders.resolvePlaceholders(s) : value);
                if (property.getOrigin() != null) {
                    origins.put(key, property.getOrigin());
                }
            }
        }
        try {
            return JobsConfig.fromProperties(properties, "Spring properties " + PREFIX + ".*", Path.of("").toAbsolutePath());
        } catch (ConfigException e) {
            List<ConfigProblem> located = new ArrayList<>();
            for (ConfigProblem p : e.problems()) {
                located.add(locate(p, origins));
            }
            throw new ConfigException(located);
        }
    }

    /** Whether {@code name}'s lists (if any) belong to source {@code index}: the first source to give an item owns a list. */
    private static boolean ownsLists(ConfigurationPropertyName name, int from, int index, Map<String, Integer> owners) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < name.getNumberOfElements(); i++) {
            if (name.isNumericIndex(i)) {
                Integer owner = owners.putIfAbsent(sb.toString(), index);
                if (owner != null && owner != index) {
                    return false;
                }
            }
            sb.append('.').append(name.getElement(i, Form.UNIFORM));
        }
        return true;
    }

    /** The key below the prefix in the config's own spelling: names as written, {@code [n]} for list items. */
    private static String key(ConfigurationPropertyName name, int from) {
        StringBuilder sb = new StringBuilder();
        for (int i = from; i < name.getNumberOfElements(); i++) {
            String element = name.getElement(i, Form.ORIGINAL);
            if (name.isNumericIndex(i)) {
                sb.append('[').append(element).append(']');
            } else {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(element.contains(".") ? "[" + element + "]" : element);
            }
        }
        return sb.toString();
    }

    /** The problem, at the Spring property it concerns (or the nearest one below it) and that property's origin. */
    private static ConfigProblem locate(ConfigProblem p, Map<String, Origin> origins) {
        String field = p.field();
        Origin origin = null;
        if (!field.isEmpty()) {
            ConfigurationPropertyName wanted = ConfigurationPropertyName.adapt(field, '.');
            for (Map.Entry<String, Origin> e : origins.entrySet()) {
                ConfigurationPropertyName candidate = ConfigurationPropertyName.adapt(e.getKey(), '.');
                if (candidate.equals(wanted)) {
                    origin = e.getValue();
                    break;
                }
                if (origin == null && wanted.isAncestorOf(candidate)) {
                    origin = e.getValue();
                }
            }
        }
        String property = field.isEmpty() ? PREFIX : PREFIX + "." + field;
        if (origin instanceof PropertySourceOrigin wrapped && wrapped.getOrigin() != null) {
            origin = wrapped.getOrigin();
        }
        if (origin instanceof TextResourceOrigin text && text.getLocation() != null) {
            return new ConfigProblem(Optional.of(text.getResource() == null ? "?" : text.getResource().getDescription()),
                    text.getLocation().getLine() + 1, text.getLocation().getColumn() + 1, property, p.message());
        }
        return new ConfigProblem(Optional.ofNullable(origin).map(Object::toString), 0, 0, property, p.message());
    }
}
