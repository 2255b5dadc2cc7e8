"""The built-in comment analyzer on the hard cases of customer Spanish and English: negation,
intensifiers, missing accents, emoji, contrast, every default cause in both languages, a
programme's own cause, and the contract's shape (evidence quoted verbatim, values in range)."""

from __future__ import annotations

import json

import pytest

from services.scoring.domain.comments import (
    DEFAULT_KEYS,
    DEFAULT_TAXONOMY,
    EMOTIONS,
    POLARITY_OF,
    CommentAnalysis,
    CommentAnalyzer,
    LexiconAnalyzer,
    Taxonomy,
    TaxonomyCause,
    analyze,
)


@pytest.fixture(scope="module")
def analyzer() -> LexiconAnalyzer:
    return LexiconAnalyzer()


def keys(a: CommentAnalysis) -> set[str]:
    return {c.key for c in a.causes}


def cause(a: CommentAnalysis, key: str):
    return next(c for c in a.causes if c.key == key)


# -- the contract -----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t ", None])
def test_no_comment_is_no_analysis(analyzer, text):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY) is None


def test_the_analysis_is_the_contract_json(analyzer):
    a = analyzer.analyze("La factura vino duplicada y nadie me devolvió la llamada", DEFAULT_TAXONOMY)
    d = a.to_dict()
    assert set(d) == {"language", "sentiment", "polarity", "emotion", "causes", "keyphrases", "analyzer"}
    assert d["language"] == "es" and d["polarity"] == "negative" and d["emotion"] in ("decadencia", "rechazo")
    assert -1.0 <= d["sentiment"] < 0
    assert {c["key"] for c in d["causes"]} == {"billing", "responsiveness"}
    assert all(set(c) == {"key", "evidence", "polarity"} for c in d["causes"])
    assert d["analyzer"] == f"{analyzer.name} {analyzer.version}"
    assert json.loads(json.dumps(d)) == d
    assert CommentAnalysis.from_dict(d) == a


def test_the_builtin_analyzer_is_a_comment_analyzer(analyzer):
    assert isinstance(analyzer, CommentAnalyzer)
    assert analyze("todo bien") == analyzer.analyze("todo bien", DEFAULT_TAXONOMY)


@pytest.mark.parametrize(
    "text",
    [
        "Me cobraron DOS VECES la factura de marzo!!!",
        "The ENGINEER never turned up and nobody called me back",
        "La app del banco se cuelga cada vez que intento hacer una transferencia 😡",
        "Precio un poco alto, pero la atención de Lucía fue estupenda",
    ],
)
def test_evidence_is_quoted_verbatim_from_the_comment(analyzer, text):
    a = analyzer.analyze(text, DEFAULT_TAXONOMY)
    assert a.causes
    for c in a.causes:
        assert c.evidence and c.evidence in text


def test_polarity_follows_the_emotion(analyzer):
    for text in ["Lo odio", "No me gusta", "Normal", "Me gusta", "Me encanta!!", "I hate it", "meh", "love it"]:
        a = analyzer.analyze(text, DEFAULT_TAXONOMY)
        assert a.emotion in EMOTIONS
        assert a.polarity == POLARITY_OF[a.emotion]


# -- the seed's five emotions ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text, emotion",
    [
        ("Lo detesto, nunca más contrato nada con vosotros", "rechazo"),
        ("Una estafa, me voy a la competencia", "rechazo"),
        ("I hate this company. Never again.", "rechazo"),
        ("Absolute rip-off, avoid at all costs", "rechazo"),
        ("No me gusta cómo ha cambiado el servicio", "decadencia"),
        ("Un poco decepcionado con la última actualización", "decadencia"),
        ("Not great, the app has become quite slow", "decadencia"),
        ("Me da igual, es una compañía más", "indiferencia"),
        ("Normal, ni fu ni fa", "indiferencia"),
        ("It's ok I guess, nothing special", "indiferencia"),
        ("Honestly I don't care, it's just a phone line", "indiferencia"),
        ("Me gusta el servicio, todo correcto y rápido", "disfrutable"),
        ("Good service, happy with it", "disfrutable"),
        ("Me encanta, lo recomiendo a todo el mundo", "extasis"),
        ("Absolutely love it, best bank I've ever had!!", "extasis"),
    ],
)
def test_the_five_emotions(analyzer, text, emotion):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).emotion == emotion


# -- negation, intensity, accents, emoji, contrast --------------------------------------------


@pytest.mark.parametrize(
    "text, polarity",
    [
        ("No está mal", "positive"),
        ("no esta nada mal la verdad", "positive"),
        ("Nada contento con la atención", "negative"),
        ("No me gusta", "negative"),
        ("No funciona", "negative"),
        ("Sin problemas hasta ahora", "positive"),
        ("Not bad at all", "positive"),
        ("Not happy with the service", "negative"),
        ("I don't like the new app", "negative"),
        ("Never again", "negative"),
        ("No complaints, works fine", "positive"),
        ("Nobody called me back", "negative"),
    ],
)
def test_negation(analyzer, text, polarity):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).polarity == polarity


@pytest.mark.parametrize(
    "plain, stronger",
    [
        ("bueno", "muy bueno"),
        ("bueno", "buenísimo"),
        ("malo", "malísimo"),
        ("caro", "carísimo"),
        ("good", "very good"),
        ("good", "sooo good"),
        ("bad", "BAD service"),
        ("lento", "lento!!!"),
        ("rápido", "súper rápido"),
    ],
)
def test_intensifiers_elongation_caps_and_exclamations_strengthen(analyzer, plain, stronger):
    a, b = analyzer.analyze(plain, DEFAULT_TAXONOMY), analyzer.analyze(stronger, DEFAULT_TAXONOMY)
    assert abs(b.sentiment) > abs(a.sentiment) > 0
    assert (a.sentiment > 0) == (b.sentiment > 0)


@pytest.mark.parametrize("plain, softer", [("caro", "un poco caro"), ("slow", "a bit slow")])
def test_diminishers_soften(analyzer, plain, softer):
    a, b = analyzer.analyze(plain, DEFAULT_TAXONOMY), analyzer.analyze(softer, DEFAULT_TAXONOMY)
    assert 0 < abs(b.sentiment) < abs(a.sentiment)


@pytest.mark.parametrize(
    "accented, bare",
    [
        ("La atención fue pésima y la facturación un desastre", "La atencion fue pesima y la facturacion un desastre"),
        ("Me encantó, rapidísimo y muy fácil", "Me encanto, rapidisimo y muy facil"),
        (
            "Contraseña olvidada y la aplicación no me deja entrar",
            "Contrasena olvidada y la aplicacion no me deja entrar",
        ),
        ("MUY MAL SERVICIO TÉCNICO", "muy mal servicio tecnico"),
    ],
)
def test_accents_and_case_do_not_matter(analyzer, accented, bare):
    a, b = analyzer.analyze(accented, DEFAULT_TAXONOMY), analyzer.analyze(bare, DEFAULT_TAXONOMY)
    assert (a.language, a.polarity, a.emotion, keys(a)) == (b.language, b.polarity, b.emotion, keys(b))


@pytest.mark.parametrize(
    "text, polarity",
    [
        ("😍😍", "positive"),
        ("👍", "positive"),
        ("😡", "negative"),
        ("👎👎", "negative"),
        (":)", "positive"),
        (":(", "negative"),
        ("Todo bien 👌", "positive"),
        ("otra vez sin luz 🤬", "negative"),
        ("10/10", "positive"),
        ("2/10", "negative"),
    ],
)
def test_emoji_emoticons_and_ratings(analyzer, text, polarity):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).polarity == polarity


@pytest.mark.parametrize(
    "text, polarity",
    [
        ("El producto es bueno pero la atención es pésima", "negative"),
        ("La atención es pésima pero el producto es muy bueno", "positive"),
        ("Aunque tardaron un poco, me lo solucionaron todo y muy bien", "positive"),
        ("Good product, but the support is terrible", "negative"),
        ("Although it was a bit expensive, the installation was excellent", "positive"),
        ("The app is fine. However, billing is a total mess", "negative"),
        ("Es caro pero bueno", "positive"),
        ("Es bueno pero caro", "negative"),
    ],
)
def test_the_clause_after_a_contrast_weighs_more(analyzer, text, polarity):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).polarity == polarity


@pytest.mark.parametrize("text", ["una pasada", "de lujo", "top", "un crack el técnico"])
def test_spanish_colloquial_praise(analyzer, text):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).polarity == "positive"


@pytest.mark.parametrize("text", ["de pena", "un timo", "vaya tela", "a rip-off", "meh, whatever", "rubbish"])
def test_colloquial_complaint_or_shrug(analyzer, text):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).polarity in ("negative", "neutral")
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).emotion != "disfrutable"


def test_a_positive_interjection_in_a_complaint_is_sarcasm(analyzer):
    assert analyzer.analyze("Genial, otra vez sin internet", DEFAULT_TAXONOMY).polarity == "negative"
    assert analyzer.analyze("Genial, todo funciona", DEFAULT_TAXONOMY).polarity == "positive"


def test_waiting_is_a_complaint_and_speed_is_praise(analyzer):
    assert analyzer.analyze("Llevo tres semanas esperando al técnico", DEFAULT_TAXONOMY).polarity == "negative"
    assert analyzer.analyze("It arrived 5 days later", DEFAULT_TAXONOMY).polarity == "negative"
    assert analyzer.analyze("Me lo resolvieron en 5 minutos", DEFAULT_TAXONOMY).polarity == "positive"


def test_typos_in_longer_words_are_forgiven(analyzer):
    assert "billing" in keys(analyzer.analyze("me llegó la fatura mal", DEFAULT_TAXONOMY))
    assert analyzer.analyze("Estoy decepcionadoo", DEFAULT_TAXONOMY).polarity == "negative"


def test_chat_shorthand(analyzer):
    assert analyzer.analyze("q desastre d servicio", DEFAULT_TAXONOMY).polarity == "negative"
    assert analyzer.analyze("thx, gr8 service", DEFAULT_TAXONOMY).polarity == "positive"


# -- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, language",
    [
        ("Muy buena atención, gracias", "es"),
        ("muy buena atencion gracias", "es"),
        ("buenísimo", "es"),
        ("q desastre", "es"),
        ("Great service, thank you", "en"),
        ("The app es un desastre but the staff are lovely", "en"),
        ("La app is useless pero el personal es muy amable y la tienda está bien", "es"),
        ("O atendimento foi ótimo, obrigado", "pt"),
        ("Le service client est nul", "fr"),
        ("👍👍", "und"),
        ("12345", "und"),
        ("...", "und"),
    ],
)
def test_language(analyzer, text, language):
    assert analyzer.analyze(text, DEFAULT_TAXONOMY).language == language


def test_a_discourse_marker_is_no_opinion_but_the_same_word_alone_is(analyzer):
    assert analyzer.analyze("Bueno, qué le vamos a hacer", DEFAULT_TAXONOMY).polarity == "neutral"
    assert analyzer.analyze("Bueno.", DEFAULT_TAXONOMY).polarity == "positive"


def test_they_do_not_care_is_a_complaint_but_i_do_not_care_is_indifference(analyzer):
    assert analyzer.analyze("They don't care about customers", DEFAULT_TAXONOMY).polarity == "negative"
    assert analyzer.analyze("I don't care", DEFAULT_TAXONOMY).emotion == "indiferencia"


def test_a_comment_in_another_language_gets_no_default_causes(analyzer):
    a = analyzer.analyze("A fatura veio errada e o atendimento demorou muito", DEFAULT_TAXONOMY)
    assert a.language == "pt" and a.causes == ()


# -- causes -------------------------------------------------------------------------------

CAUSES = [
    ("billing", "Me han cobrado dos veces el recibo de este mes", "negative"),
    ("billing", "I was charged twice on my last invoice", "negative"),
    ("price", "Demasiado caro para lo que ofrecen", "negative"),
    ("price", "Great value for money, really affordable", "positive"),
    ("product_quality", "La conexión se cae cada dos por tres", "negative"),
    ("product_quality", "The broadband is fast and reliable", "positive"),
    ("usability", "Muy fácil de usar, hasta mi abuela se apaña", "positive"),
    ("usability", "The instructions are confusing and the manual is useless", "negative"),
    ("responsiveness", "Una hora en espera para que nadie me contestara", "negative"),
    ("responsiveness", "They called me back within the hour", "positive"),
    ("staff_attitude", "La dependienta fue muy amable y paciente", "positive"),
    ("staff_attitude", "The agent was rude and hung up on me", "negative"),
    ("staff_knowledge", "El técnico no tenía ni idea y me dio información errónea", "negative"),
    ("staff_knowledge", "The adviser really knew her stuff and solved it on the first call", "positive"),
    ("sales_promise", "El comercial me prometió que no había permanencia y era mentira", "negative"),
    ("sales_promise", "The salesman promised no contract fees, the small print says otherwise", "negative"),
    ("digital_channels", "No puedo entrar en la web, la contraseña no funciona", "negative"),
    ("digital_channels", "The new app is brilliant, login with my fingerprint", "positive"),
    ("delivery", "El pedido llegó en dos días y el repartidor fue muy puntual", "positive"),
    ("delivery", "My parcel never arrived and the courier says it was delivered", "negative"),
]


@pytest.mark.parametrize("key, text, polarity", CAUSES)
def test_each_default_cause_in_both_languages(analyzer, key, text, polarity):
    a = analyzer.analyze(text, DEFAULT_TAXONOMY)
    assert key in keys(a)
    assert cause(a, key).polarity == polarity


def test_the_cases_above_cover_every_default_cause_in_both_languages():
    assert {k for k, _, _ in CAUSES} == set(DEFAULT_KEYS)


def test_each_cause_takes_the_polarity_of_its_own_clause(analyzer):
    a = analyzer.analyze("El técnico fue muy amable, pero la factura llegó mal otra vez", DEFAULT_TAXONOMY)
    assert cause(a, "staff_attitude").polarity == "positive"
    assert cause(a, "billing").polarity == "negative"
    b = analyzer.analyze("Cheap prices and friendly staff, but the app keeps crashing", DEFAULT_TAXONOMY)
    assert cause(b, "price").polarity == "positive"
    assert cause(b, "digital_channels").polarity == "negative"


def test_a_comment_without_a_cause(analyzer):
    assert analyzer.analyze("Todo bien, gracias", DEFAULT_TAXONOMY).causes == ()
    assert analyzer.analyze("meh", DEFAULT_TAXONOMY).causes == ()


def test_a_programmes_own_cause_works_like_a_default_one(analyzer):
    parking = TaxonomyCause(
        key="parking",
        names={"es": "Aparcamiento", "en": "Parking"},
        cues={"es": ["aparcamiento", "aparcar", "plaza* de garaje"], "en": ["parking", "car park"]},
    )
    taxonomy = Taxonomy(causes=DEFAULT_TAXONOMY.causes + (parking,), version=2)
    a = analyzer.analyze("Imposible aparcar cerca de la oficina, y las plazas de garaje cuestan un ojo", taxonomy)
    assert cause(a, "parking").polarity == "negative"
    assert cause(a, "parking").evidence in ("aparcar", "plazas de garaje")
    b = analyzer.analyze("The car park is huge and free, lovely", taxonomy)
    assert cause(b, "parking").evidence == "car park" and cause(b, "parking").polarity == "positive"
    assert "parking" not in keys(analyzer.analyze("Imposible aparcar", DEFAULT_TAXONOMY))


def test_a_retired_cause_is_not_tagged(analyzer):
    retired = Taxonomy(
        causes=tuple(TaxonomyCause(c.key, c.names, c.cues, retired=c.key == "billing") for c in DEFAULT_TAXONOMY.causes)
    )
    assert "billing" in keys(analyzer.analyze("La factura está mal", DEFAULT_TAXONOMY))
    assert "billing" not in keys(analyzer.analyze("La factura está mal", retired))


def test_an_exclusion_cue_keeps_a_phrase_from_being_read_as_a_cue(analyzer):
    base = TaxonomyCause(key="garden", names={"en": "Garden"}, cues={"en": ["plant*"]})
    excluded = TaxonomyCause(key="garden", names={"en": "Garden"}, cues={"en": ["plant*", "-power plant"]})
    text = "The power plant next door is noisy"
    assert "garden" in keys(analyzer.analyze(text, Taxonomy(causes=(base,))))
    assert "garden" not in keys(analyzer.analyze(text, Taxonomy(causes=(excluded,))))


def test_a_taxonomy_cue_word_unknown_to_the_lexicons_is_not_typo_corrected_away(analyzer):
    cause = TaxonomyCause(key="roaming", names={"en": "Roaming"}, cues={"en": ["resulta"]})
    a = analyzer.analyze("Resulta que me cobraron roaming", Taxonomy(causes=(cause,)))
    assert "roaming" in keys(a)


# -- bounds -------------------------------------------------------------------------------


def test_a_very_long_comment_is_analysed_with_bounded_output(analyzer):
    sentence = (
        "La factura llegó mal, el técnico no vino, la app se cuelga y el precio sube cada mes; "
        "the staff were rude, delivery was late and the website is confusing. "
    )
    text = (sentence * 60)[:5000]
    a = analyzer.analyze(text, DEFAULT_TAXONOMY)
    assert a.polarity == "negative"
    assert len(a.causes) <= len(DEFAULT_KEYS)
    assert len(a.keyphrases) <= 5 and all(len(p) <= 60 for p in a.keyphrases)
    assert all(len(c.evidence) <= 120 and c.evidence in text for c in a.causes)
    assert len(json.dumps(a.to_dict())) < 4000


def test_only_the_first_part_of_an_enormous_comment_is_read(analyzer):
    text = "Todo bien. " * 2000 + "Una estafa, lo detesto, la factura es un robo."
    a = analyzer.analyze(text, DEFAULT_TAXONOMY)
    assert a.polarity == "positive" and "billing" not in keys(a)


@pytest.mark.parametrize(
    "text",
    [
        "\u202eesrever\u202c factura \u200b\u200d mal",  # direction overrides, zero-width
        "e\u0301\u0301\u0301" * 500,  # stacked combining accents
        "🤬" * 3000,  # emoji flood
        "a" * 9000,  # one enormous word
        "no " * 3000 + "bien",  # negator flood
        "!!!!!" * 1000,  # punctuation only
        "\x00\x01\x02 factura \ufffd\ud7ff" + "İ" * 100,  # control characters, odd case mappings
        "ｆａｃｔｕｒａ ｍａｌ",  # fullwidth letters
        " ".join(chr(c) for c in range(0x20, 0x3000, 7)),  # a sweep of the BMP
    ],
)
def test_hostile_unicode_gives_a_bounded_valid_analysis(analyzer, text):
    a = analyzer.analyze(text, DEFAULT_TAXONOMY)
    assert a is not None
    assert -1.0 <= a.sentiment <= 1.0 and a.emotion in EMOTIONS
    assert len(a.keyphrases) <= 5 and len(a.causes) <= len(DEFAULT_KEYS)
    assert all(c.evidence in text for c in a.causes)
    assert len(json.dumps(a.to_dict(), ensure_ascii=False)) < 4000
