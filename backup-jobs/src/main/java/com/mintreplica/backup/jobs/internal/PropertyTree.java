package com.mintreplica.backup.jobs.internal;

import com.fasterxml.jackson.core.JsonToken;
import com.mintreplica.backup.jobs.config.ConfigProblem;
import com.mintreplica.backup.jobs.internal.YamlTree.Field;
import com.mintreplica.backup.jobs.internal.YamlTree.ListNode;
import com.mintreplica.backup.jobs.internal.YamlTree.MapNode;
import com.mintreplica.backup.jobs.internal.YamlTree.Node;
import com.mintreplica.backup.jobs.internal.YamlTree.ScalarNode;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Flattened properties ({@code jobs.etc.source.paths[0] = /etc}), as Spring's environment, a {@code .properties}
 * file or system properties hold them, turned back into the tree a YAML config parses to, so that
 * {@link ConfigReader} checks them with the same rules and names the same fields. Nodes have no line (0): the
 * caller knows where each property came from.
 *
 * <p>A key is names separated by dots; {@code [n]} is the n-th item of a list, {@code [a.b]} a name holding dots.
 * Values are strings, numbers or booleans; a string is typed as YAML types a plain scalar ({@code 14} a number,
 * {@code true} a boolean, empty nothing), so numbers from environment variables read as numbers.
 */
final class PropertyTree {
    private static final Pattern INTEGER = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern FLOAT = Pattern.compile("[-+]?([0-9]+\\.[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?");

    private PropertyTree() {
    }

    /** The tree of {@code properties}; an empty map gives none. Structural problems are added to {@code problems}. */
    static Optional<Node> build(Map<String, ?> properties, String file, List<ConfigProblem> problems) {
        if (properties.isEmpty()) {
            return Optional.empty();
        }
        Draft root = new Draft();
        for (Map.Entry<String, ?> e : properties.entrySet()) {
            List<Object> path = parse(e.getKey());
            if (path == null) {
                problems.add(new ConfigProblem(Optional.of(file), 0, 0, e.getKey(), "'" + e.getKey()
                        + "' is not a property name: write names separated by dots, [n] for list items"));
                continue;
            }
            Draft d = root;
            for (Object element : path) {
                d = element instanceof Integer i ? d.items.computeIfAbsent(i, k -> new Draft())
                        : d.fields.computeIfAbsent((String) element, k -> new Draft());
            }
            d.hasValue = true;
            d.value = e.getValue();
        }
        return Optional.of(node(root, "", file, problems));
    }

    private static Node node(Draft d, String at, String file, List<ConfigProblem> problems) {
        boolean container = !d.fields.isEmpty() || !d.items.isEmpty();
        if (container && d.hasValue && !(d.value == null || d.value.toString().isEmpty())) {
            problems.add(new ConfigProblem(Optional.of(file), 0, 0, at, "is given both as a value and as a section"
                    + " (" + at + ".* or " + at + "[n]): keep one"));
        }
        if (!d.fields.isEmpty() && !d.items.isEmpty()) {
            problems.add(new ConfigProblem(Optional.of(file), 0, 0, at, "has both list items (" + at + "[n]) and keys ("
                    + at + "." + d.fields.keySet().iterator().next() + "): it is either a list or a mapping"));
        }
        if (!d.fields.isEmpty()) {
            Map<String, Field> fields = new LinkedHashMap<>();
            d.fields.forEach((key, child) -> fields.put(key, new Field(key, 0, 0,
                    node(child, at.isEmpty() ? key : at + "." + key, file, problems))));
            return new MapNode(0, 0, fields);
        }
        if (!d.items.isEmpty()) {
            List<Node> items = new ArrayList<>();
            int expected = 0;
            for (Map.Entry<Integer, Draft> item : d.items.entrySet()) {
                if (item.getKey() != expected) {
                    problems.add(new ConfigProblem(Optional.of(file), 0, 0, at + "[" + expected + "]", "is missing: the"
                            + " items of a list are numbered from 0 without gaps, " + at + "[" + item.getKey() + "] is there"));
                }
                expected = item.getKey() + 1;
                items.add(node(item.getValue(), at + "[" + item.getKey() + "]", file, problems));
            }
            return new ListNode(0, 0, items);
        }
        return scalar(d.value);
    }

    private static ScalarNode scalar(Object value) {
        if (value == null) {
            return new ScalarNode(0, 0, "", JsonToken.VALUE_NULL);
        }
        if (value instanceof Boolean b) {
            return new ScalarNode(0, 0, b.toString(), b ? JsonToken.VALUE_TRUE : JsonToken.VALUE_FALSE);
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof BigInteger) {
            return new ScalarNode(0, 0, value.toString(), JsonToken.VALUE_NUMBER_INT);
        }
        if (value instanceof Number) {
            return new ScalarNode(0, 0, value.toString(), JsonToken.VALUE_NUMBER_FLOAT);
        }
        String text = value.toString();
        if (text.isEmpty()) {
            return new ScalarNode(0, 0, "", JsonToken.VALUE_NULL);
        }
        String lower = text.toLowerCase(Locale.ROOT);
        if (lower.equals("true") || lower.equals("false")) {
            return new ScalarNode(0, 0, lower, lower.equals("true") ? JsonToken.VALUE_TRUE : JsonToken.VALUE_FALSE);
        }
        if (INTEGER.matcher(text).matches()) {
            return new ScalarNode(0, 0, text, JsonToken.VALUE_NUMBER_INT);
        }
        if (FLOAT.matcher(text).matches()) {
            return new ScalarNode(0, 0, text, JsonToken.VALUE_NUMBER_FLOAT);
        }
        return new ScalarNode(0, 0, text, JsonToken.VALUE_STRING);
    }

    /** {@code a.b[0].[c.d]} as {@code ["a", "b", 0, "c.d"]}; null when malformed. */
    static List<Object> parse(String key) {
        List<Object> out = new ArrayList<>();
        int i = 0;
        int n = key.length();
        while (i < n) {
            char c = key.charAt(i);
            if (c == '[') {
                int close = key.indexOf(']', i);
                if (close < 0 || close == i + 1) {
                    return null;
                }
                String inside = key.substring(i + 1, close);
                if (INTEGER.matcher(inside).matches() && !inside.startsWith("-") && !inside.startsWith("+")) {
                    try {
                        out.add(Integer.parseInt(inside));
                    } catch (NumberFormatException e) {
                        return null;
                    }
                } else {
                    out.add(inside);
                }
                i = close + 1;
                if (i < n && key.charAt(i) == '.') {
                    i++;
                    if (i == n) {
                        return null;
                    }
                }
            } else {
                int end = i;
                while (end < n && key.charAt(end) != '.' && key.charAt(end) != '[') {
                    end++;
                }
                if (end == i) {
                    return null;
                }
                out.add(key.substring(i, end));
                i = end;
                if (i < n && key.charAt(i) == '.') {
                    i++;
                    if (i == n) {
                        return null;
                    }
                }
            }
        }
        return out.isEmpty() ? null : out;
    }

    private static final class Draft {
        final Map<String, Draft> fields = new LinkedHashMap<>();
        final TreeMap<Integer, Draft> items = new TreeMap<>();
        boolean hasValue;
        Object value;
    }
}
