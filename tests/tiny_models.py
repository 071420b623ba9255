"""Tiny transformer models built offline for tests: a BERT classifier folder, its tokenizer and config."""

import numpy as np

WORDS = "great lovely superb fun awful dull boring bad a film really quite ,".split()
GOOD, BAD = ["great", "lovely", "superb", "fun"], ["awful", "dull", "boring", "bad"]


def tokenizer():
    from transformers import BertTokenizerFast

    return BertTokenizerFast(vocab={w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                                                                  *WORDS])})


def bert_config(**options):
    from transformers import BertConfig

    return BertConfig(vocab_size=5 + len(WORDS), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=32, max_position_embeddings=64, hidden_dropout_prob=0.0,
                      attention_probs_dropout_prob=0.0, **options)


def classifier_folder(folder, id2label=("neg", "pos"), steps=40):
    """A BERT sentiment classifier trained for ``steps`` steps on "a <good/bad word> film", saved to ``folder``."""
    import torch
    from transformers import BertForSequenceClassification

    words = tokenizer()
    rng = np.random.default_rng(0)
    label = rng.integers(0, 2, 64)
    texts = [f"a {rng.choice(GOOD if y else BAD)} film" for y in label]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = BertForSequenceClassification(bert_config(
            num_labels=len(id2label), id2label=dict(enumerate(id2label)),
            label2id={name: i for i, name in enumerate(id2label)}))
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        batch = words(texts, padding=True, return_tensors="pt")
        for _ in range(steps):
            optimizer.zero_grad()
            model(**batch, labels=torch.tensor(label)).loss.backward()
            optimizer.step()
    model.eval().save_pretrained(folder)
    words.save_pretrained(folder)
    return folder
