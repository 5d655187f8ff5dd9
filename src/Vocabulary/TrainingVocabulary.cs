namespace SweepCluster.Vocabulary;

/// <summary>
/// How a study balances each fold's training rows by stratum (the class; for multi-label the rarest positive
/// label), study file <c>data.balancing</c>; validation and held-out rows are never touched.
/// Stored by number in grain state: the numbers must not change.
/// </summary>
public enum Balancing
{
    /// <summary>The rows as they are.</summary>
    None = 0,
    /// <summary>Every stratum cut down to the smallest one's count.</summary>
    Undersample = 1,
    /// <summary>Every stratum drawn up to the largest one's count, with replacement.</summary>
    Oversample = 2,
    /// <summary>The smaller strata filled up to the largest with new texts: their rows with words swapped for WordNet synonyms.</summary>
    Augment = 3,
}

/// <summary>
/// The architecture of a backbone checkpoint, as its config.json's <c>model_type</c> names it (study file
/// <c>backbones[].family</c>). Stored by number in grain state: the numbers must not change.
/// </summary>
public enum BackboneFamily
{
    /// <summary>model_type "bert".</summary>
    Bert = 0,
    /// <summary>model_type "distilbert".</summary>
    DistilBert = 1,
    /// <summary>model_type "roberta".</summary>
    Roberta = 2,
    /// <summary>model_type "electra".</summary>
    Electra = 3,
    /// <summary>model_type "deberta-v2" (DeBERTa v2 and v3).</summary>
    DebertaV2 = 4,
}
