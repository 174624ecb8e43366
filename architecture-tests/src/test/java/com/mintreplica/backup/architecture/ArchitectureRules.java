package com.mintreplica.backup.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaCodeUnit;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaMember;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.domain.JavaType;
import com.tngtech.archunit.core.domain.JavaTypeVariable;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchCondition;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.ConditionEvents;
import com.tngtech.archunit.lang.SimpleConditionEvent;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The rules that make {@code internal} more than a naming convention (docs/architecture.md, "Module boundaries").
 * Each rule is a value, so {@link ArchitectureTest} checks it against the production classes of every module and
 * {@link ArchitectureRulesTest} shows that it fails on a class that breaks it.
 */
final class ArchitectureRules {
    static final String ROOT = "com.mintreplica.backup";

    /** The adapter modules' packages: the core and the jobs layer find them through ServiceLoader, never by name. */
    static final List<String> ADAPTER_PACKAGES = List.of(ROOT + ".fs", ROOT + ".postgres", ROOT + ".mongo",
            ROOT + ".crypto", ROOT + ".storage.s3", ROOT + ".storage.gcs");

    private ArchitectureRules() {
    }

    /** The main classes of every module on the test class path (test classes, fixtures among them, left out). */
    static com.tngtech.archunit.core.domain.JavaClasses productionClasses() {
        return new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages(ROOT);
    }

    /** Everything outside backup-core (adapters, jobs, CLI, starter, test kit) uses the core's public packages only. */
    static final ArchRule NO_MODULE_IMPORTS_CORE_INTERNAL = noClasses()
            .that().resideInAPackage(ROOT + "..")
            .and().resideOutsideOfPackage(ROOT + ".core..")
            .should().dependOnClassesThat().resideInAPackage(ROOT + ".core.internal..")
            .because("core.internal is not API: a type an adapter needs belongs in an SPI package of the core");

    /**
     * No type of an {@code internal} package appears in a signature a caller can see: the supertypes, and the
     * public or protected fields, constructors and methods (parameters, results, type arguments, bounds, thrown
     * exceptions) of the public types of the other packages.
     */
    static final ArchRule NO_INTERNAL_TYPE_IN_PUBLIC_SIGNATURES = classes()
            .that(arePublicApi())
            .should(exposeNoInternalType())
            .allowEmptyShould(true)
            .because("an internal type in a public signature makes it API without anyone deciding so");

    /**
     * The jobs layer names no adapter, except the classes (and the adapters they import) in {@code frozen}: a
     * violation not in that list fails; an entry that no longer violates is reported by
     * {@link ArchitectureTest#the_frozen_jobs_violations_all_still_exist} so the list only shrinks.
     */
    static ArchRule jobsImportNoAdapter(Map<String, Set<String>> frozen) {
        return classes()
                .that().resideInAPackage(ROOT + ".jobs..")
                .should(new ArchCondition<JavaClass>("import no adapter package " + ADAPTER_PACKAGES
                        + (frozen.isEmpty() ? "" : " (but for the frozen violations " + frozen + ")")) {
                    @Override
                    public void check(JavaClass item, ConditionEvents events) {
                        String owner = topLevelName(item);
                        for (Dependency d : item.getDirectDependenciesFromSelf()) {
                            Optional<String> adapter = adapterOf(d.getTargetClass());
                            if (adapter.isPresent() && !frozen.getOrDefault(owner, Set.of()).contains(adapter.get())) {
                                events.add(SimpleConditionEvent.violated(item, d.getDescription()));
                            }
                        }
                    }
                })
                .allowEmptyShould(true)
                .because("jobs finds sources, encryption and drills through the core's providers, so a new adapter "
                        + "needs no line of jobs changed");
    }

    /** The adapters each jobs class (top-level name) imports now. */
    static Map<String, Set<String>> jobsAdapterImports(com.tngtech.archunit.core.domain.JavaClasses classes) {
        Map<String, Set<String>> found = new TreeMap<>();
        for (JavaClass c : classes) {
            if (!c.getPackageName().startsWith(ROOT + ".jobs")) {
                continue;
            }
            for (Dependency d : c.getDirectDependenciesFromSelf()) {
                adapterOf(d.getTargetClass()).ifPresent(a -> found.computeIfAbsent(topLevelName(c), k -> new TreeSet<>()).add(a));
            }
        }
        return found;
    }

    static Optional<String> adapterOf(JavaClass target) {
        String p = baseType(target).getPackageName();
        return ADAPTER_PACKAGES.stream().filter(a -> p.equals(a) || p.startsWith(a + ".")).findFirst();
    }

    private static String topLevelName(JavaClass c) {
        String name = c.getName();
        int dollar = name.indexOf('$');
        return dollar < 0 ? name : name.substring(0, dollar);
    }

    static boolean isInternal(JavaClass c) {
        String p = baseType(c).getPackageName();
        return p.startsWith(ROOT + ".") && ("." + p + ".").contains(".internal.");
    }

    private static JavaClass baseType(JavaClass c) {
        return c.isArray() ? c.getBaseComponentType() : c;
    }

    private static DescribedPredicate<JavaClass> arePublicApi() {
        return DescribedPredicate.describe("are public types outside internal packages", c -> {
            if (isInternal(c) || !c.getPackageName().startsWith(ROOT)) {
                return false;
            }
            for (Optional<JavaClass> k = Optional.of(c); k.isPresent(); k = k.get().getEnclosingClass()) {
                if (!k.get().getModifiers().contains(JavaModifier.PUBLIC) || k.get().isAnonymousClass()) {
                    return false;
                }
            }
            return true;
        });
    }

    private static boolean visible(JavaMember m) {
        Set<JavaModifier> mods = m.getModifiers();
        return (mods.contains(JavaModifier.PUBLIC) || mods.contains(JavaModifier.PROTECTED))
                && !mods.contains(JavaModifier.SYNTHETIC) && !mods.contains(JavaModifier.BRIDGE);
    }

    /** The library modules: what an app embeds, whose public API must not tie it to a third-party library's types. */
    static final List<String> LIBRARY_PACKAGES = List.of(ROOT + ".core", ROOT + ".fs", ROOT + ".postgres",
            ROOT + ".mongo", ROOT + ".crypto", ROOT + ".storage.s3", ROOT + ".storage.gcs", ROOT + ".jobs");

    /**
     * The third-party types a library module may show on purpose, by module: an adapter takes its own SDK's client
     * (an app brings an {@code S3Client}, a GCS {@code Storage} or a {@code MongoClient} configured as it likes, as
     * users of those SDKs expect), and the jobs layer binds its meters to the app's Micrometer registry (the metrics
     * facade the app already uses). Nothing else: Bouncy Castle, Jackson and the like stay implementation details.
     */
    static final Map<String, List<String>> SHOWN_ON_PURPOSE = Map.of(
            ROOT + ".storage.s3", List.of("software.amazon.awssdk."),
            ROOT + ".storage.gcs", List.of("com.google.cloud.", "com.google.auth."),
            ROOT + ".mongo", List.of("com.mongodb."),
            ROOT + ".jobs", List.of("io.micrometer."));

    /**
     * No third-party type in a signature a caller of a library module can see, beyond {@link #SHOWN_ON_PURPOSE}:
     * the JDK's and our own types only, so a dependency can be upgraded or replaced without breaking an app (jclouds
     * learned it the hard way). The CLI, the Spring Boot starter and the test kit are not libraries an app calls this
     * way (picocli, Spring and JUnit types are their point).
     */
    static final ArchRule NO_THIRD_PARTY_TYPE_IN_LIBRARY_SIGNATURES = classes()
            .that(arePublicApi()).and(DescribedPredicate.describe("are in a library module",
                    (JavaClass c) -> libraryOf(c).isPresent()))
            .should(exposeNo("third-party type", ArchitectureRules::isThirdPartyNotShownOnPurpose))
            .allowEmptyShould(true)
            .because("a third-party type in a library's public signature makes that library part of our API");

    static Optional<String> libraryOf(JavaClass c) {
        String p = c.getPackageName();
        return LIBRARY_PACKAGES.stream().filter(l -> p.equals(l) || p.startsWith(l + ".")).findFirst();
    }

    static boolean isThirdPartyNotShownOnPurpose(JavaClass owner, JavaClass type) {
        String p = baseType(type).getPackageName() + ".";
        if (p.equals(".") || p.startsWith("java.") || p.startsWith("javax.") || p.startsWith(ROOT + ".")) {
            return false;
        }
        List<String> allowed = libraryOf(owner).map(l -> SHOWN_ON_PURPOSE.getOrDefault(l, List.of())).orElse(List.of());
        return allowed.stream().noneMatch(p::startsWith);
    }

    private static ArchCondition<JavaClass> exposeNoInternalType() {
        return exposeNo("type of an internal package", (owner, type) -> isInternal(type));
    }

    private static ArchCondition<JavaClass> exposeNo(String what,
            java.util.function.BiPredicate<JavaClass, JavaClass> badIn) {
        return new ArchCondition<>("expose no " + what) {
            @Override
            public void check(JavaClass c, ConditionEvents events) {
                java.util.function.Predicate<JavaClass> bad = type -> badIn.test(c, type);
                List<String> found = new ArrayList<>();
                c.getSuperclass().ifPresent(s -> report(found, "extends", s, bad));
                c.getInterfaces().forEach(i -> report(found, "implements", i, bad));
                for (JavaField f : c.getFields()) {
                    if (visible(f)) {
                        report(found, "field " + f.getName(), f.getType(), bad);
                    }
                }
                for (JavaCodeUnit u : c.getCodeUnits()) {
                    if (!visible(u) || u.getName().equals("<clinit>")) {
                        continue;
                    }
                    String what = (u.isConstructor() ? "constructor" : "method " + u.getName()) + "()";
                    report(found, what + " returns", u.getReturnType(), bad);
                    u.getParameterTypes().forEach(p -> report(found, what + " takes", p, bad));
                    u.getExceptionTypes().forEach(e -> report(found, what + " throws", e, bad));
                    for (JavaTypeVariable<?> v : u.getTypeParameters()) {
                        report(found, what + " type parameter " + v.getName(), v, bad);
                    }
                }
                for (String f : found) {
                    events.add(SimpleConditionEvent.violated(c, c.getName() + ": " + f));
                }
            }
        };
    }

    private static void report(Collection<String> found, String where, JavaType type,
            java.util.function.Predicate<JavaClass> bad) {
        for (JavaClass raw : type.getAllInvolvedRawTypes()) {
            if (bad.test(raw)) {
                found.add(where + " " + baseType(raw).getName());
            }
        }
    }
}
