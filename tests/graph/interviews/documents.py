"""GraphQL documents shared by the interview tests."""

CREATE_CANDIDATE = """
mutation($input: CandidateInput!) {
  createCandidate(input: $input) {
    id name email resumeText hasResumePdf
    profile { skills yearsOfExperience education summary model }
  }
}
"""
CREATE_INTERVIEW = """
mutation($input: InterviewInput!) {
  createInterview(input: $input) { id roleTitle status questions questionsModel }
}
"""
INTERVIEW = """
query($id: ID!) {
  interview(id: $id) {
    id roleTitle status questions
    candidate { id name }
    assessment {
      status summary attempts error updatedAt strengths concerns recommendation model
      scores { criterion score rationale }
    }
    invite { id status attempts lastError providerId to subject textBody }
  }
}
"""
SEND_INVITE = """
mutation($id: ID!) { sendInterviewInvite(interviewId: $id) { id status invite { status } } }
"""
START_SESSION = """
mutation($id: ID!) {
  startInterviewSession(interviewId: $id) {
    id interviewId roomName candidateToken agentToken agentApiToken livekitUrl status startedAt
  }
}
"""
APPEND_TURN = """
mutation($id: ID!, $turn: TranscriptTurnInput!) {
  appendTranscriptTurn(interviewId: $id, turn: $turn) {
    id sequenceNo speaker speakerLabel text timestamp timestampSec
  }
}
"""
COMPLETE = """
mutation($id: ID!, $json: JSON) {
  completeInterviewSession(interviewId: $id, transcriptJson: $json) {
    id status assessment { status attempts }
  }
}
"""
# What the interviewer agent asks for: its token may not read the candidate, assessment or
# invitation (graph/core/authorization.py PROTECTED_TYPES).
AGENT_COMPLETE = """
mutation($id: ID!, $json: JSON) {
  completeInterviewSession(interviewId: $id, transcriptJson: $json) { id status }
}
"""
RETRY_ASSESSMENT = """
mutation($id: ID!) { retryAssessment(interviewId: $id) { id status assessment { status } } }
"""
OUTBOX = """
query($status: EmailStatus, $first: Int) {
  emailOutbox(status: $status, first: $first) {
    id kind to subject textBody status attempts lastError providerId interviewId sentAt
  }
}
"""
RESUME = """Ada Obi, backend developer.
7 years of Python and PostgreSQL; built Redis caching for a payments API.
BSc Computer Science, University of Lagos"""
JOB = "Backend engineer: Python services on PostgreSQL, caching with Redis, observability."
CANCEL = """
mutation($id: ID!) { cancelInterview(interviewId: $id) { id status } }
"""
