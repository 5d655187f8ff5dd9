#!/usr/bin/python3
"""Expected values for ClassicModelsTests, from scikit-learn (Debian's python3-sklearn).

Run: /usr/bin/python3 tests/Training.Tests/Baselines/classic_models_reference.py
The C# tests fit with L2 = 0.01 on 24 texts, i.e. scikit-learn's C = 1 / (0.01 * 24).
"""
import numpy as np
import sklearn
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

TRAIN = [
    ("the team won the match in the final minute", 0),
    ("a great goal by the striker won the game", 0),
    ("the coach praised the team after the match", 0),
    ("fans cheered as the team scored again", 0),
    ("the striker missed a penalty in the game", 0),
    ("the match ended in a draw after extra time", 0),
    ("the goal keeper saved the final penalty", 0),
    ("our team lost the game at home", 0),
    ("bake the bread in a hot oven for an hour", 1),
    ("the soup needs more salt and fresh pepper", 1),
    ("stir the sauce and add the fresh herbs", 1),
    ("the chef baked a cake for the final course", 1),
    ("slice the bread and toast it in the oven", 1),
    ("a hot soup with bread is a great dinner", 1),
    ("add salt to the water before the pasta", 1),
    ("the chef praised the sauce at dinner", 1),
    ("heavy rain is expected in the afternoon", 2),
    ("the wind and rain will ease by the evening", 2),
    ("a hot sunny day with a light wind", 2),
    ("snow is expected on the hills tonight", 2),
    ("the rain stopped and the sun came out", 2),
    ("a cold wind from the north tonight", 2),
    ("sunny spells with a chance of rain", 2),
    ("the storm brought heavy snow and wind", 2),
]
TEST = [
    "the team scored a late goal",
    "bake a cake with fresh herbs",
    "rain and wind in the evening",
    "the chef watched the match at home",
    "a hot day for the final game",
    "fresh snow on a cold morning",
]
texts = [t for t, _ in TRAIN]
topic = np.array([c for _, c in TRAIN])
C = 1 / (0.01 * len(TRAIN))


def lr():
    return LogisticRegression(C=C, tol=1e-12, max_iter=100000)


def show(name, p):
    print(name)
    for row in p:
        print("    [" + ", ".join(f"{v:.6f}" for v in row) + "],")


print("sklearn", sklearn.__version__)
for name, vec in [
    ("tfidf_word", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2)),
    ("tfidf_char", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
]:
    X = vec.fit_transform(texts)
    Xt = vec.transform(TEST)
    print(name, "vocabulary", len(vec.vocabulary_))
    show(name + " binary (sports)", lr().fit(X, topic == 0).predict_proba(Xt))
    show(name + " three topics", OneVsRestClassifier(lr()).fit(X, topic).predict_proba(Xt))

# NB-LR (Wang & Manning 2012): binarised counts scaled by the class's log-count ratio, alpha = 1.
cv = CountVectorizer(ngram_range=(1, 2), min_df=2, binary=True)
X = cv.fit_transform(texts).astype(float)
Xt = cv.transform(TEST).astype(float)
print("nbsvm vocabulary", len(cv.vocabulary_))


def nblr_positive(y):
    p = 1 + np.asarray(X[y].sum(0)).ravel()
    q = 1 + np.asarray(X[~y].sum(0)).ravel()
    r = np.log((p / p.sum()) / (q / q.sum()))
    clf = lr().fit(X.multiply(r).tocsr(), y)
    return clf.predict_proba(Xt.multiply(r).tocsr())[:, 1]


binary = nblr_positive(topic == 0)
show("nbsvm binary (sports)", np.column_stack([1 - binary, binary]))
scores = np.column_stack([nblr_positive(topic == c) for c in range(3)])
show("nbsvm three topics", scores / scores.sum(1, keepdims=True))
