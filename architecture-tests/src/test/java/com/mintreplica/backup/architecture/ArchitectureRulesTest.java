package com.mintreplica.backup.architecture;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.mintreplica.backup.architecture.fixture.api.Exposures;
import com.mintreplica.backup.fs.archfixture.ImportsCoreInternal;
import com.mintreplica.backup.jobs.archfixture.ImportsS3Sink;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Each architecture rule fails on a class of the test sources that breaks it on purpose, and names what broke. */
@Timeout(60)
class ArchitectureRulesTest {

    private static JavaClasses only(Class<?>... classes) {
        return new ClassFileImporter().importClasses(classes);
    }

    @Test
    void an_adapter_calling_core_internal_breaks_the_rule() {
        assertThatThrownBy(() -> ArchitectureRules.NO_MODULE_IMPORTS_CORE_INTERNAL.check(only(ImportsCoreInternal.class)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(ImportsCoreInternal.class.getName())
                .hasMessageContaining("com.mintreplica.backup.core.internal.Hex");
    }

    @Test
    void a_class_using_only_the_cores_public_packages_keeps_the_rule() {
        assertThatCode(() -> ArchitectureRules.NO_MODULE_IMPORTS_CORE_INTERNAL.check(only(ImportsS3Sink.class)))
                .doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(classes = {Exposures.ReturnsIt.class, Exposures.TakesItAsTypeArgument.class,
            Exposures.HasItAsField.class, Exposures.ConstructedWithIt.class, Exposures.ExtendsIt.class,
            Exposures.BoundsATypeParameterWithIt.class, Exposures.ProtectedMethodReturnsIt.class})
    void an_internal_type_in_a_public_signature_breaks_the_rule(Class<?> exposing) {
        assertThatThrownBy(() -> ArchitectureRules.NO_INTERNAL_TYPE_IN_PUBLIC_SIGNATURES.check(only(exposing)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(exposing.getName() + ":")
                .hasMessageContaining("fixture.internal.Hidden");
    }

    @ParameterizedTest
    @ValueSource(strings = {"UsesItPrivately", "NotPublic"})
    void an_internal_type_no_caller_sees_keeps_the_rule(String nested) throws ClassNotFoundException {
        Class<?> c = Class.forName(Exposures.class.getName() + "$" + nested);
        assertThatCode(() -> ArchitectureRules.NO_INTERNAL_TYPE_IN_PUBLIC_SIGNATURES.check(only(c)))
                .doesNotThrowAnyException();
    }

    @Test
    void a_jobs_class_naming_an_adapter_breaks_the_rule() {
        assertThatThrownBy(() -> ArchitectureRules.jobsImportNoAdapter(Map.of()).check(only(ImportsS3Sink.class)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(ImportsS3Sink.class.getName())
                .hasMessageContaining("com.mintreplica.backup.storage.s3.S3Sink");
    }

    @Test
    void a_frozen_violation_passes_but_the_same_class_naming_another_adapter_fails() {
        String owner = ImportsS3Sink.class.getName();
        assertThatCode(() -> ArchitectureRules.jobsImportNoAdapter(Map.of(owner, Set.of("com.mintreplica.backup.storage.s3")))
                .check(only(ImportsS3Sink.class))).doesNotThrowAnyException();
        assertThatThrownBy(() -> ArchitectureRules.jobsImportNoAdapter(Map.of(owner, Set.of("com.mintreplica.backup.crypto")))
                .check(only(ImportsS3Sink.class)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining("com.mintreplica.backup.storage.s3.S3Sink");
    }

    @ParameterizedTest
    @ValueSource(classes = {com.mintreplica.backup.crypto.archfixture.ShowsThirdPartyTypes.ReturnsBouncyCastle.class,
            com.mintreplica.backup.crypto.archfixture.ShowsThirdPartyTypes.TakesAnotherModulesSdk.class})
    void a_third_party_type_in_a_library_signature_breaks_the_rule(Class<?> exposing) {
        assertThatThrownBy(() -> ArchitectureRules.NO_THIRD_PARTY_TYPE_IN_LIBRARY_SIGNATURES.check(only(exposing)))
                .isInstanceOf(AssertionError.class)
                .hasMessageContaining(exposing.getName() + ":")
                .hasMessageMatching("(?s).*(org\\.bouncycastle|software\\.amazon\\.awssdk).*");
    }

    @ParameterizedTest
    @ValueSource(classes = {com.mintreplica.backup.crypto.archfixture.ShowsThirdPartyTypes.UsesBouncyCastlePrivately.class,
            com.mintreplica.backup.storage.s3.archfixture.TakesItsOwnSdk.class})
    void a_third_party_type_no_caller_sees_or_an_adapters_own_sdk_keeps_the_rule(Class<?> c) {
        assertThatCode(() -> ArchitectureRules.NO_THIRD_PARTY_TYPE_IN_LIBRARY_SIGNATURES.check(only(c)))
                .doesNotThrowAnyException();
    }
}
