"""The FAQ assistant on the help centre, built with LangChain."""

from __future__ import annotations

from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder
from langchain_openai import ChatOpenAI

from support_bot.replies import tone_guide

FAQ_SYSTEM = (
    "You answer questions on the ACME Home help centre. Answer from the FAQ excerpt in "
    "the conversation; when it does not answer the question, say so and link to "
    "https://acme-home.example/contact. Keep answers under 80 words."
)

faq_prompt = ChatPromptTemplate.from_messages([
    ("system", FAQ_SYSTEM),
    ("system", tone_guide()),
    ("human", "Do you ship to PO boxes?"),
    ("ai", "No, we can't ship to PO boxes. Please use a street address for delivery."),
    ("human", "Can I return a clearance item?"),
    ("ai", "Clearance items are final sale, so they can't be returned."),
    MessagesPlaceholder("history"),
    ("human", "FAQ excerpt:\n{excerpt}\n\nQuestion: {question}"),
])

llm = ChatOpenAI(model="gpt-4o", temperature=0)
faq_chain = faq_prompt | llm


def answer_faq(question: str, excerpt: str, history: list) -> str:
    return faq_chain.invoke({"question": question, "excerpt": excerpt, "history": history}).content
