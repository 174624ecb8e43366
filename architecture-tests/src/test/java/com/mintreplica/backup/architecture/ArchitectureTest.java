package com.mintreplica.backup.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The architecture rules hold for the production classes of every module. */
@Timeout(120)
class ArchitectureTest {

    private static final String CRYPTO = "com.mintreplica.backup.crypto";
    private static final String FS = "com.mintreplica.backup.fs";
    private static final String POSTGRES = "com.mintreplica.backup.postgres";
    private static final String MONGO = "com.mintreplica.backup.mongo";

    /**
     * The jobs classes that still import an adapter, and which adapters, frozen so that any NEW import of an adapter
     * by the jobs layer fails. Issue 17 (i17-providers) moves this knowledge behind the core's provider SPIs; as each
     * class is freed, its line goes (the_frozen_jobs_violations_all_still_exist says which). Never add a line: a new
     * need of the jobs layer for an adapter belongs behind a provider SPI of the core.
     */
    static final Map<String, Set<String>> FROZEN_JOBS_ADAPTER_IMPORTS = Map.of(
            // reads OpenPGP keys for the doctor's key checks
            "com.mintreplica.backup.jobs.Doctor", Set.of(CRYPTO),
            // builds DirectorySource and OpenPgpEncryption itself
            "com.mintreplica.backup.jobs.JobRunner", Set.of(CRYPTO, FS),
            // the doctor's PostgreSQL preflight
            "com.mintreplica.backup.jobs.internal.doctor.PostgresChecks", Set.of(POSTGRES),
            // drill scratch targets, one per source kind
            "com.mintreplica.backup.jobs.internal.drill.DirectoryScratch", Set.of(FS),
            "com.mintreplica.backup.jobs.internal.drill.MongoScratch", Set.of(MONGO),
            "com.mintreplica.backup.jobs.internal.drill.PostgresScratch", Set.of(POSTGRES));

    private static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = ArchitectureRules.productionClasses();
    }

    @Test
    void the_rules_see_the_classes_of_every_module() {
        Set<String> packages = classes.stream().map(JavaClass::getPackageName).collect(Collectors.toSet());
        assertThat(packages).contains("com.mintreplica.backup.core", "com.mintreplica.backup.core.internal",
                "com.mintreplica.backup.testkit", "com.mintreplica.backup.fs", "com.mintreplica.backup.postgres",
                "com.mintreplica.backup.mongo", "com.mintreplica.backup.crypto", "com.mintreplica.backup.storage.s3",
                "com.mintreplica.backup.storage.gcs", "com.mintreplica.backup.jobs", "com.mintreplica.backup.cli",
                "com.mintreplica.backup.spring.boot.starter");
        assertThat(packages).as("test classes and fixtures are not production classes")
                .doesNotContain("com.mintreplica.backup.architecture");
    }

    @Test
    void no_module_but_the_core_imports_core_internal() {
        ArchitectureRules.NO_MODULE_IMPORTS_CORE_INTERNAL.check(classes);
    }

    @Test
    void no_internal_type_appears_in_a_public_signature() {
        ArchitectureRules.NO_INTERNAL_TYPE_IN_PUBLIC_SIGNATURES.check(classes);
    }

    @Test
    void the_jobs_layer_imports_no_adapter_beyond_the_frozen_list() {
        ArchitectureRules.jobsImportNoAdapter(FROZEN_JOBS_ADAPTER_IMPORTS).check(classes);
    }

    @Test
    void the_frozen_jobs_violations_all_still_exist() {
        Map<String, Set<String>> now = ArchitectureRules.jobsAdapterImports(classes);
        Map<String, Set<String>> gone = new TreeMap<>();
        FROZEN_JOBS_ADAPTER_IMPORTS.forEach((owner, adapters) -> adapters.stream()
                .filter(a -> !now.getOrDefault(owner, Set.of()).contains(a))
                .forEach(a -> gone.computeIfAbsent(owner, k -> new java.util.TreeSet<>()).add(a)));
        assertThat(gone).as("these classes no longer import these adapters: remove them from "
                + "FROZEN_JOBS_ADAPTER_IMPORTS (now: " + now + ")").isEmpty();
    }
}
