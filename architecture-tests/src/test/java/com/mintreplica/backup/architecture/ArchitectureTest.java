package com.mintreplica.backup.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The architecture rules hold for the production classes of every module. */
@Timeout(120)
class ArchitectureTest {

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

    /**
     * The jobs layer reaches adapters only through the core's provider SPIs (sources, encryption, drills): no jobs
     * class imports an adapter package. (Until i17-providers landed, its remaining imports were frozen here in a list
     * that could only shrink; it is empty now, and a new need of the jobs layer for an adapter belongs behind an SPI.)
     */
    @Test
    void no_third_party_type_appears_in_a_library_modules_public_signature() {
        ArchitectureRules.NO_THIRD_PARTY_TYPE_IN_LIBRARY_SIGNATURES.check(classes);
    }

    @Test
    void the_jobs_layer_imports_no_adapter() {
        ArchitectureRules.jobsImportNoAdapter(Map.of()).check(classes);
        assertThat(ArchitectureRules.jobsAdapterImports(classes)).isEmpty();
    }
}
