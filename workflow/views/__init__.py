"""Pages of the reporting loop, one module per subject: ``inbox`` (everything waiting for the user), ``reports``
(the report page: fill, sign off, consolidate, review, or read; and its actions, with ``report_form`` reading and
refilling its form), ``rounds`` (the rounds and one round's progress); ``common`` holds what they share.

Views are thin: reads go through ``workflow.selectors`` with the acting user, every write is one call of
``workflow.services`` (which checks the acting user itself). Every page needs a signed-in user; outside the user's
units is 404.
"""
