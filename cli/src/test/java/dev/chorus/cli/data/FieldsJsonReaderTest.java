package dev.chorus.cli.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.schemas.Example;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldsJsonReaderTest {

    static List<Example> read(String text) throws IOException {
        return FieldsJsonReader.read(new StringReader(text), "clicks.jsonl", "clicks", 1_700_000_000_000L);
    }

    @Test
    void readsNamedFieldExamplesOnePerLineFillingWhatALineLeavesOut() throws IOException {
        List<Example> examples = read("""
                {"id":"c1","task":"ads","fields":{"user":"u1","words":["free","money"],"amount":12.5},"label":1}

                {"fields":{"country":"FR"},"label":0,"eventTime":5,"weight":2.0}
                {"id":"c3","fields":{},"target":1.5,"annotator":"bob"}
                """);
        assertThat(examples).hasSize(3);
        Example first = examples.get(0);
        assertThat(first.getId()).isEqualTo("c1");
        assertThat(first.getTask()).isEqualTo("ads");
        assertThat(first.getFields()).isEqualTo(Map.of("user", "u1", "words", List.of("free", "money"), "amount", 12.5));
        assertThat(first.getLabel()).isEqualTo(1);
        assertThat(first.getFeatures().remaining()).isZero();
        assertThat(first.getEventTime()).isEqualTo(1_700_000_000_000L);
        Example second = examples.get(1);
        assertThat(second.getId()).as("the line number, as the file gives no id").isEqualTo("clicks-3");
        assertThat(second.getTask()).isEqualTo("clicks");
        assertThat(second.getEventTime()).isEqualTo(5);
        assertThat(second.getWeight()).isEqualTo(2f);
        assertThat(examples.get(2).getTarget()).isEqualTo(1.5);
        assertThat(examples.get(2).getAnnotator()).isEqualTo("bob");
    }

    @Test
    void badLinesNameTheFileLineFieldAndWhatWasFound() {
        assertThatThrownBy(() -> read("{\"fields\":{\"user\":\"u1\"}}\n{\"fields\":{\"ok\":true}}\n"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("clicks.jsonl:2: ")
                .hasMessageContaining("fields");
        assertThatThrownBy(() -> read("{\"fields\":{\"user\":\"u1\"}\n"))
                .isInstanceOf(IOException.class).hasMessageStartingWith("clicks.jsonl:1: expected a JSON object");
        assertThatThrownBy(() -> read("{\"label\":1}\n"))
                .isInstanceOf(IOException.class)
                .hasMessage("clicks.jsonl:1: field 'fields': expected an object of named fields, got none");
    }
}
